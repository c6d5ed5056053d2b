#include "krtool/cert/crl.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "krtool/util/files.hpp"

namespace krtool::cert {
namespace {

constexpr const char* kCrlHint =
    "pass a PEM or DER certificate revocation list, such as one made by 'krtool new-crl' or "
    "'openssl ca -gencrl'";

std::vector<ossl::UniquePtr<X509_CRL>> read_pem_crls(std::string_view bytes, std::string_view source) {
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  ossl::UniquePtr<BIO> bio = ossl::memory_bio(bytes);
  for (;;) {
    ossl::UniquePtr<X509_CRL> crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (crl == nullptr) break;
    crls.push_back(std::move(crl));
  }
  // Running out of blocks ends the loop with "no start line"; anything else is a damaged block.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    ossl::fail(Errc::Input, fmt::format("reading the CRLs in '{}'", source), kCrlHint);
  }
  ossl::drain_errors();
  return crls;
}

}  // namespace

std::vector<ossl::UniquePtr<X509_CRL>> load_crls_from_bytes(std::string_view bytes, std::string_view source) {
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  if (bytes.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    crls = read_pem_crls(bytes, source);
  } else {
    const auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
    ossl::UniquePtr<X509_CRL> crl(d2i_X509_CRL(nullptr, &der, static_cast<long>(bytes.size())));
    if (crl == nullptr)
      ossl::fail(Errc::Input, fmt::format("'{}' is not a CRL (neither PEM nor DER)", source), kCrlHint);
    crls.push_back(std::move(crl));
  }
  if (crls.empty()) throw Error(Errc::Input, fmt::format("'{}' holds no CRL", source), kCrlHint);
  return crls;
}

std::vector<ossl::UniquePtr<X509_CRL>> load_crls(const std::filesystem::path& path) {
  const std::string bytes = files::read_file(path, "CRL");
  return load_crls_from_bytes(bytes, path.string());
}

}  // namespace krtool::cert
