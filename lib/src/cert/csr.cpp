#include "krtool/cert/csr.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "krtool/cert/alt_names.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"

namespace krtool::cert {
namespace {

std::string quote_value(const std::string& value) {
  std::string out = "\"";
  for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// subject_text spells the parts in .NET order, most specific first: CN, OU, O, C. New-KrCertificateRequest
// encodes C, O, OU, CN, which is the same name.
std::string subject_text(const CsrSpec& spec, const std::vector<std::string>& names) {
  if (!spec.subject.empty()) return spec.subject;
  std::vector<std::string> parts;
  const std::string cn = !spec.common_name.empty() ? spec.common_name : (names.empty() ? "" : names.front());
  if (!cn.empty()) parts.push_back("CN=" + quote_value(cn));
  if (!spec.organizational_unit.empty()) parts.push_back("OU=" + quote_value(spec.organizational_unit));
  if (!spec.organization.empty()) parts.push_back("O=" + quote_value(spec.organization));
  if (!spec.country.empty()) parts.push_back("C=" + quote_value(spec.country));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

CsrResult create_request(const CsrSpec& spec) {
  const std::vector<std::string> names = normalize_names(spec.names);
  const std::string subject = subject_text(spec, names);
  if (subject.empty()) {
    throw Error(Errc::Usage, "no name for the request",
                "give at least one --dns NAME, --common-name or --subject");
  }
  ossl::UniquePtr<X509_NAME> name = parse_dn(subject, "--subject");
  CsrResult result;
  result.key = generate_key(spec.key);
  result.request.reset(X509_REQ_new());
  ossl::require(result.request != nullptr, "allocating a request");
  X509_REQ* request = result.request.get();
  ossl::require(X509_REQ_set_version(request, X509_REQ_VERSION_1) == 1, "setting the request version");
  ossl::require(X509_REQ_set_subject_name(request, name.get()) == 1, "setting the request subject");
  ossl::require(X509_REQ_set_pubkey(request, result.key.get()) == 1, "setting the request key");

  ossl::UniquePtr<STACK_OF(X509_EXTENSION)> extensions(sk_X509_EXTENSION_new_null());
  ossl::require(extensions != nullptr, "allocating request extensions");
  if (!names.empty()) {
    // The same SAN rules as the certificate factory's (cert/alt_names): an e-mail address becomes an
    // e-mail SAN, an IP literal an IP SAN, "scheme://..." a URI.
    ossl::UniquePtr<GENERAL_NAMES> sans = subject_alt_names(names);
    ossl::UniquePtr<X509_EXTENSION> san(X509V3_EXT_i2d(NID_subject_alt_name, 0, sans.get()));
    ossl::require(san != nullptr, "building subjectAltName");
    ossl::require(sk_X509_EXTENSION_push(extensions.get(), san.get()) > 0, "adding subjectAltName");
    san.release();
  }
  if (spec.key_usage != 0) {
    ossl::UniquePtr<ASN1_BIT_STRING> bits(ASN1_BIT_STRING_new());
    ossl::require(bits != nullptr, "allocating key usage");
    for (int bit = 0; bit < 9; ++bit) {
      // KU_* constants put bit 0 (digitalSignature) at 0x80, bit 8 (decipherOnly) at 0x8000.
      const unsigned mask = bit < 8 ? (0x80u >> bit) : 0x8000u;
      if ((spec.key_usage & mask) != 0) ASN1_BIT_STRING_set_bit(bits.get(), bit, 1);
    }
    ossl::UniquePtr<X509_EXTENSION> ku(X509V3_EXT_i2d(NID_key_usage, 1, bits.get()));
    ossl::require(ku != nullptr, "building keyUsage");
    ossl::require(sk_X509_EXTENSION_push(extensions.get(), ku.get()) > 0, "adding keyUsage");
    ku.release();
  }
  if (sk_X509_EXTENSION_num(extensions.get()) > 0) {
    ossl::require(X509_REQ_add_extensions(request, extensions.get()) == 1, "adding the request's extensions");
  }
  ossl::require(X509_REQ_sign(request, result.key.get(), signing_digest(result.key.get())) > 0,
                "signing the request");
  return result;
}

ossl::UniquePtr<X509_REQ> load_request(std::string_view bytes, std::string_view source) {
  ossl::UniquePtr<X509_REQ> request;
  if (bytes.find("-----BEGIN") != std::string_view::npos) {
    ossl::UniquePtr<BIO> bio = ossl::memory_bio(bytes);
    request.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
    request.reset(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(bytes.size())));
  }
  if (!request) {
    ossl::fail(Errc::Input, fmt::format("'{}' is not a certificate signing request", source),
               "make one with: krtool new-csr --dns NAME --out request.csr");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  if (key == nullptr || X509_REQ_verify(request.get(), key) != 1) {
    ossl::fail(Errc::Input, fmt::format("the signature of request '{}' does not verify", source),
               "the request was altered or is corrupt: make it again");
  }
  return request;
}

std::string request_to_pem(X509_REQ* request) {
  ossl::UniquePtr<BIO> sink = ossl::sink_bio();
  ossl::require(PEM_write_bio_X509_REQ(sink.get(), request) == 1, "encoding the request as PEM");
  return ossl::bio_contents(sink.get());
}

}  // namespace krtool::cert
