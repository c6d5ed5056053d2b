// OCSP responses as Online revocation mode reads them: the DER answer of whatever responder a client
// certificate's AIA names, judged by judge_ocsp_response (auth/ocsp.hpp), which must never throw and
// must say why it does not believe an answer.
//
// An answer is believed only when it is signed by the issuer, which no mutation of the bytes can forge.
// So that the fuzzer reaches what comes after the signature (the nonce, the CertID, the times, the
// status and reason), the first byte may ask it to sign the answer again as this process's CA, or as
// a responder the CA delegated to, and to ask about the certificate that the answer is about.
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <array>
#include <chrono>
#include <cstdlib>

#include "auth/ocsp.hpp"
#include "fuzz_input.hpp"
#include "fuzz_pki.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/key.hpp"

namespace {

using krtool::auth::OcspAnswer;
using krtool::auth::OcspQuery;
using krtool::fuzz::ec_spec;
namespace ossl = krtool::ossl;
using std::chrono::hours;
using std::chrono::minutes;

// The CA, a leaf it issued, and a responder it delegated OCSP signing to, made once per process.
struct Pki {
  krtool::cert::CertBundle ca = krtool::cert::create_certificate(ec_spec("Fuzz OCSP CA", true));
  krtool::cert::CertBundle leaf = krtool::cert::create_certificate(ec_spec("leaf.example", false), &ca);
  krtool::cert::CertBundle responder = [this] {
    krtool::cert::CertificateSpec spec = ec_spec("ocsp.example", false);
    spec.purpose = krtool::cert::Purpose::None;
    krtool::cert::CertBundle made = krtool::cert::create_certificate(spec, &ca);
    const ossl::UniquePtr<X509_EXTENSION> eku(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, "OCSPSigning"));
    if (!eku || X509_add_ext(made.certificate.get(), eku.get(), -1) != 1 ||
        X509_sign(made.certificate.get(), ca.key.get(), EVP_sha256()) <= 0)
      std::abort();
    return made;
  }();
};

// query asks about `id` with a nonce: the answer's own (so that the nonce check passes) or a fixed one.
OcspQuery query(const OCSP_CERTID* id, OCSP_BASICRESP* answer) {
  OcspQuery query;
  query.id.reset(OCSP_CERTID_dup(id));
  query.request.reset(OCSP_REQUEST_new());
  if (!query.id || !query.request) std::abort();
  ossl::UniquePtr<OCSP_CERTID> asked(OCSP_CERTID_dup(id));
  if (!asked || OCSP_request_add0_id(query.request.get(), asked.get()) == nullptr) std::abort();
  asked.release();  // the request owns it now
  const int nonce =
      answer != nullptr ? OCSP_BASICRESP_get_ext_by_NID(answer, NID_id_pkix_OCSP_Nonce, -1) : -1;
  if (nonce >= 0) {
    if (OCSP_REQUEST_add_ext(query.request.get(), OCSP_BASICRESP_get_ext(answer, nonce), -1) != 1)
      std::abort();
  } else {
    unsigned char fixed[16] = "krtool fuzzing!";
    if (OCSP_request_add1_nonce(query.request.get(), fixed, sizeof fixed) != 1) std::abort();
  }
  return query;
}

// resigned signs `basic` again as `signer` (its certificate added to the answer unless it is the CA),
// naming the signer the way the answer named its own: by key hash or by name. OpenSSL 3.0's
// OCSP_RESPID_set_by_name frees a key hash as if it were a name, and OCSP_RESPID_set_by_key drops the old
// key hash without freeing it, so the kind is kept and a replaced key hash freed here.
std::string resigned(OCSP_BASICRESP* basic, const krtool::cert::CertBundle& signer, bool is_ca) {
  const ASN1_OCTET_STRING* old_key = nullptr;
  const X509_NAME* old_name = nullptr;
  if (OCSP_resp_get0_id(basic, &old_key, &old_name) != 1) return {};
  const unsigned long flags = (is_ca ? OCSP_NOCERTS : 0) | (old_key != nullptr ? OCSP_RESPID_KEY : 0);
  const int signed_ok = OCSP_basic_sign(basic, signer.certificate.get(), signer.key.get(),
                                        krtool::cert::signing_digest(signer.key.get()), nullptr, flags);
  const ASN1_OCTET_STRING* new_key = nullptr;
  const X509_NAME* new_name = nullptr;
  OCSP_resp_get0_id(basic, &new_key, &new_name);
  if (old_key != nullptr && new_key != old_key)
    ASN1_OCTET_STRING_free(const_cast<ASN1_OCTET_STRING*>(old_key));
  if (signed_ok != 1) {
    ossl::drain_errors();
    return {};
  }
  const ossl::UniquePtr<OCSP_RESPONSE> response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic));
  unsigned char* raw = nullptr;
  const int length = response ? i2d_OCSP_RESPONSE(response.get(), &raw) : -1;
  const ossl::UniquePtr<unsigned char> owned(raw);
  if (length <= 0) {
    ossl::drain_errors();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(raw), static_cast<size_t>(length));
}

// kOffsets place `now` around the answer's thisUpdate: before it, within and beyond the clock skew,
// and long after.
constexpr std::array<std::chrono::seconds, 8> kOffsets = {
    -hours(24), -minutes(6), minutes(0), minutes(4), minutes(6), hours(1), hours(24), hours(24 * 3650)};
const krtool::TimePoint kFixedNow = krtool::from_time_t(1780000000);  // 2026-05-28

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Pki pki;
  if (size == 0) return 0;
  // The first byte: bit 0 signs the answer again, bit 1 as the delegated responder rather than the CA;
  // bits 2-4 choose `now` (kOffsets).
  const bool resign = (data[0] & 1) != 0;
  const bool delegated = (data[0] & 2) != 0;
  const std::chrono::seconds offset = kOffsets[(data[0] >> 2) & 7];
  std::string der(krtool::fuzz::text_of(data + 1, size - 1));

  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const ossl::UniquePtr<OCSP_RESPONSE> response(
      d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  const ossl::UniquePtr<OCSP_BASICRESP> basic(response ? OCSP_response_get1_basic(response.get()) : nullptr);
  ossl::drain_errors();
  OCSP_SINGLERESP* single = basic ? OCSP_resp_get0(basic.get(), 0) : nullptr;

  krtool::TimePoint now = kFixedNow;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  if (single != nullptr && OCSP_single_get0_status(single, nullptr, nullptr, &this_update, nullptr) >= 0 &&
      this_update != nullptr) {
    krtool::fuzz::rejecting([&] { now = krtool::from_asn1_time(this_update, "thisUpdate") + offset; });
  }

  // As the network sends it: a question about the leaf, with a nonce of our own. Signed again: a
  // question about what the answer is about, with the answer's nonce.
  const ossl::UniquePtr<OCSP_CERTID> leaf_id(
      OCSP_cert_to_id(EVP_sha1(), pki.leaf.certificate.get(), pki.ca.certificate.get()));
  if (!leaf_id) std::abort();
  if (resign && basic) {
    der = resigned(basic.get(), delegated ? pki.responder : pki.ca, !delegated);
    if (der.empty()) return 0;
  }
  const OcspQuery asked = resign && single != nullptr ? query(OCSP_SINGLERESP_get0_id(single), basic.get())
                                                      : query(leaf_id.get(), nullptr);

  const OcspAnswer answer = krtool::auth::judge_ocsp_response(der, asked, pki.ca.certificate.get(), now);
  // Every answer not believed says why; a revoked one says when.
  if (answer.status == OcspAnswer::Status::Unknown && answer.detail.empty()) std::abort();
  if (answer.status == OcspAnswer::Status::Revoked && answer.detail.rfind("revoked at ", 0) != 0)
    std::abort();
  if (answer.status != OcspAnswer::Status::Unknown && answer.fresh_until < now - krtool::auth::kOcspClockSkew)
    std::abort();
  return 0;
}
