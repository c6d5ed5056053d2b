// OCSP requests as the dev server's ocsp: route reads them (server/handlers_ocsp.cpp): a POSTed DER body,
// or a GET whose path ends in the request, base64- and URL-encoded; answered by OcspResponder from a
// CA's database on disk. Whatever arrives, the answer is an OCSP response (malformedRequest at worst).
//
// A request names its CA by hashes of the CA's name and key, which no mutation finds. So that the
// fuzzer reaches the database look-up and the good, revoked and unknown answers, the first byte may
// ask it to write this process's CA's hashes and a serial of its choice into the request.
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "cert/ocsp_handles.hpp"
#include "fuzz_input.hpp"
#include "fuzz_pki.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/ca_database.hpp"
#include "krtool/cert/revocation.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/server/routes.hpp"

namespace {

using krtool::fuzz::ec_spec;
namespace cert = krtool::cert;
namespace ossl = krtool::ossl;

// A CA on disk, made once per process in a folder of its own (removed at exit), that issued two
// certificates and revoked one, and the ocsp: route that answers for it.
struct Responder {
  std::filesystem::path dir = [] {
    std::random_device random;
    auto path = std::filesystem::temp_directory_path() /
                ("krtool-fuzz-ocsp-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path);
    return path;
  }();
  cert::CertBundle ca = cert::create_certificate(ec_spec("Fuzz OCSP CA", true));
  cert::CertBundle good = cert::create_certificate(ec_spec("good.example", false), &ca);
  cert::CertBundle revoked = cert::create_certificate(ec_spec("revoked.example", false), &ca);
  krtool::server::Route route = [this] {
    const std::string ca_file = (dir / "ca.pem").string();
    std::ofstream(dir / "ca.pem") << krtool::formats::encode_pem_certificate(ca.certificate.get());
    std::ofstream(dir / "ca.key") << krtool::formats::encode_pem_key(ca.key.get(), std::nullopt);
    cert::CaDatabase database(ca.certificate.get());
    database.record(good.certificate.get(), "good.pem");
    database.record(revoked.certificate.get(), "revoked.pem");
    database.revoke(cert::serial_hex(revoked.certificate.get()), krtool::from_time_t(1780000000),
                    cert::RevocationReason::KeyCompromise);
    database.save(ca_file);
    return krtool::server::parse_route("* /ocsp ocsp:" + ca_file);
  }();

  ~Responder() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

std::string der_of(OCSP_REQUEST* request) {
  unsigned char* raw = nullptr;
  const int length = i2d_OCSP_REQUEST(request, &raw);
  const ossl::UniquePtr<unsigned char> owned(raw);
  if (length <= 0) {
    ossl::drain_errors();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(raw), static_cast<size_t>(length));
}

// adopted rewrites each CertID of `der` to name `ca` (hashed as the CertID says) and, when `serial` is
// given, that serial. The bytes as they were when they are not a request.
std::string adopted(const std::string& der, X509* ca, const ASN1_INTEGER* serial) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const ossl::UniquePtr<OCSP_REQUEST> request(
      d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der.size())));
  ossl::drain_errors();
  if (!request) return der;
  const int count = OCSP_request_onereq_count(request.get());
  for (int i = 0; i < count && i < 64; ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i));
    ASN1_OCTET_STRING *name_hash = nullptr, *key_hash = nullptr;
    ASN1_OBJECT* hash_oid = nullptr;
    ASN1_INTEGER* their_serial = nullptr;
    if (OCSP_id_get0_info(&name_hash, &hash_oid, &key_hash, &their_serial, id) != 1) continue;
    if (serial != nullptr && ASN1_STRING_copy(their_serial, serial) != 1) std::abort();
    const EVP_MD* hash = EVP_get_digestbyobj(hash_oid);
    if (hash == nullptr) continue;
    const ossl::UniquePtr<OCSP_CERTID> ours(
        OCSP_cert_id_new(hash, X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), their_serial));
    ASN1_OCTET_STRING *our_name_hash = nullptr, *our_key_hash = nullptr;
    if (!ours || OCSP_id_get0_info(&our_name_hash, nullptr, &our_key_hash, nullptr, ours.get()) != 1 ||
        ASN1_STRING_copy(name_hash, our_name_hash) != 1 || ASN1_STRING_copy(key_hash, our_key_hash) != 1)
      std::abort();
  }
  ossl::drain_errors();
  const std::string rewritten = der_of(request.get());
  return rewritten.empty() ? der : rewritten;
}

// url_encoded is what a client puts after the route's path: base64, its '/', '+' and '=' escaped or not
// (RFC 6960 appendix A.1 asks for URL encoding; openssl ocsp does not escape them).
std::string url_encoded(const std::string& der, bool escape) {
  std::string base64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                      reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
  base64.resize(static_cast<size_t>(length));
  if (!escape) return base64;
  std::string out;
  for (char c : base64) {
    if (c == '/')
      out += "%2F";
    else if (c == '+')
      out += "%2b";
    else if (c == '=')
      out += "%3D";
    else
      out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Responder responder;
  if (size == 0) return 0;
  // The first byte: bits 0-1 how the request comes (0: POSTed; 1: GET, the bytes as the path after
  // /ocsp/; 2: GET, the request base64- and URL-encoded by the fuzzer, escaped when bit 5 is set;
  // 3: PUT, which the route refuses). Bit 2 writes the CA's hashes into the request; bits 3-4 the
  // serial asked about (0: as it is, 1: the good certificate's, 2: the revoked one's, 3: one never issued).
  const int transport = data[0] & 3;
  const bool adopt = (data[0] & 4) != 0;
  const int serial_choice = (data[0] >> 3) & 3;
  const bool escape = (data[0] & 0x20) != 0;
  std::string der(krtool::fuzz::text_of(data + 1, size - 1));

  if (adopt && transport != 1) {
    const ossl::UniquePtr<ASN1_INTEGER> never_issued(ASN1_INTEGER_new());
    if (!never_issued || ASN1_INTEGER_set(never_issued.get(), 1) != 1) std::abort();
    const ASN1_INTEGER* serial = serial_choice == 1 ? X509_get0_serialNumber(responder.good.certificate.get())
                                 : serial_choice == 2
                                     ? X509_get0_serialNumber(responder.revoked.certificate.get())
                                 : serial_choice == 3 ? never_issued.get()
                                                      : nullptr;
    der = adopted(der, responder.ca.certificate.get(), serial);
  }

  krtool::server::RequestView request;
  request.method = transport == 0 ? "POST" : transport == 3 ? "PUT" : "GET";
  if (transport == 0) request.body = der;
  if (transport == 1) request.target = "/ocsp/" + der;
  if (transport == 2) request.target = "/ocsp/" + url_encoded(der, escape);
  request.path = request.target.empty() ? "/ocsp" : request.target;

  const krtool::server::HandlerResponse answer = responder.route.handler->handle(request);
  if (transport == 3) {
    if (answer.status != 405) std::abort();
    return 0;
  }
  // Whatever was asked, the answer is an OCSP response.
  const auto* cursor = reinterpret_cast<const unsigned char*>(answer.body.data());
  const ossl::UniquePtr<OCSP_RESPONSE> response(
      d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(answer.body.size())));
  if (answer.status != 200 || answer.content_type != "application/ocsp-response" || !response) std::abort();
  return 0;
}
