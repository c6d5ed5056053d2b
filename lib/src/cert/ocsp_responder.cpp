#include "krtool/cert/ocsp_responder.hpp"

#include <fmt/format.h>

#include "cert/ocsp_handles.hpp"
#include "krtool/cert/key.hpp"
#include "krtool/cert/name.hpp"

namespace krtool::cert {
namespace {

std::string response_der(OCSP_RESPONSE* response) {
  unsigned char* raw = nullptr;
  const int length = i2d_OCSP_RESPONSE(response, &raw);
  if (length <= 0) {
    ossl::drain_errors();
    return {};
  }
  const ossl::UniquePtr<unsigned char> owned(raw);
  return std::string(reinterpret_cast<const char*>(raw), static_cast<size_t>(length));
}

std::string status_only(int status) {
  const ossl::UniquePtr<OCSP_RESPONSE> response(OCSP_response_create(status, nullptr));
  return response ? response_der(response.get()) : std::string();
}

ossl::UniquePtr<ASN1_STRING> asn1_time(TimePoint t) {
  ossl::UniquePtr<ASN1_STRING> time(ASN1_GENERALIZEDTIME_set(nullptr, to_time_t(t)));
  ossl::require(time != nullptr, "encoding an OCSP time");
  return time;
}

// answer_one adds the single response for `id`: unknown when it names another CA (its issuer name
// and key hashes, computed with the request's own hash algorithm, differ from ours).
void answer_one(OCSP_BASICRESP* basic, OCSP_CERTID* id, X509* ca, const OcspLookup& lookup,
                ASN1_TIME* this_update, ASN1_TIME* next_update) {
  ASN1_OBJECT* hash_oid = nullptr;
  ASN1_INTEGER* serial = nullptr;
  ossl::require(OCSP_id_get0_info(nullptr, &hash_oid, nullptr, &serial, id) == 1, "reading an OCSP cert ID");
  OcspStatus status;
  const EVP_MD* hash = EVP_get_digestbyobj(hash_oid);
  if (hash != nullptr) {
    const ossl::UniquePtr<OCSP_CERTID> ours(
        OCSP_cert_id_new(hash, X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), serial));
    ossl::require(ours != nullptr, "making the CA's OCSP cert ID");
    if (OCSP_id_issuer_cmp(ours.get(), id) == 0) status = lookup(serial_hex(serial));
  }
  ossl::UniquePtr<ASN1_STRING> revoked_at;
  int code = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  if (status.kind == OcspStatus::Kind::Good) code = V_OCSP_CERTSTATUS_GOOD;
  if (status.kind == OcspStatus::Kind::Revoked) {
    code = V_OCSP_CERTSTATUS_REVOKED;
    revoked_at = asn1_time(status.revoked_at);
    // As in the CRL, an unspecified reason is left out (RFC 5280 5.3.1).
    if (status.reason != RevocationReason::Unspecified) reason = static_cast<int>(status.reason);
  }
  ossl::require(
      OCSP_basic_add1_status(basic, id, code, reason, revoked_at.get(), this_update, next_update) != nullptr,
      "adding an OCSP single response");
}

}  // namespace

OcspResponder::OcspResponder(const CertBundle& ca, const CertBundle& signer, std::chrono::seconds validity)
    : ca_(ossl::up_ref(ca.certificate.get())),
      signer_(ossl::up_ref(signer.certificate.get())),
      key_(ossl::up_ref(signer.key.get())),
      validity_(validity) {
  const std::string signer_name = format_dn(X509_get_subject_name(signer_.get()));
  if (!key_) {
    throw Error(Errc::Input, fmt::format("the OCSP signer '{}' has no private key here", signer_name),
                "give the signer's file with its key (a PFX, or PEM with <base>.key beside it)");
  }
  delegated_ = X509_cmp(ca_.get(), signer_.get()) != 0;
  if (!delegated_) return;
  const std::string ca_name = format_dn(X509_get_subject_name(ca_.get()));
  if (!issued_by(signer_.get(), ca_.get())) {
    throw Error(Errc::Input,
                fmt::format("the OCSP responder '{}' was not issued by CA '{}'", signer_name, ca_name),
                "a delegated responder must be signed by the CA it answers for (RFC 6960 4.2.2.2)");
  }
  if ((X509_get_extension_flags(signer_.get()) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(signer_.get()) & XKU_OCSP_SIGN) == 0) {
    throw Error(Errc::Input,
                fmt::format("the OCSP responder '{}' lacks the OCSPSigning extended key usage", signer_name),
                "issue it with extendedKeyUsage = OCSPSigning; clients refuse answers signed without it");
  }
}

std::string OcspResponder::respond(std::string_view request, const OcspLookup& lookup, TimePoint now) const {
  if (request.empty() || request.size() > kMaxOcspRequestBytes)
    return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  const auto* cursor = reinterpret_cast<const unsigned char*>(request.data());
  const ossl::UniquePtr<OCSP_REQUEST> parsed(
      d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(request.size())));
  ossl::drain_errors();
  if (!parsed) return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  const int count = OCSP_request_onereq_count(parsed.get());
  if (count <= 0 || static_cast<size_t>(count) > kMaxOcspRequestCertificates)
    return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  try {
    const ossl::UniquePtr<OCSP_BASICRESP> basic(OCSP_BASICRESP_new());
    ossl::require(basic != nullptr, "allocating an OCSP response");
    const ossl::UniquePtr<ASN1_STRING> this_update = asn1_time(now);
    // Without a validity the answer has no nextUpdate: "newer revocation information is available all
    // the time" (RFC 6960, section 2.4), true of a responder that reads its database at each request.
    const ossl::UniquePtr<ASN1_STRING> next_update =
        validity_.count() > 0 ? asn1_time(now + validity_) : ossl::UniquePtr<ASN1_STRING>();
    for (int i = 0; i < count; ++i) {
      OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(parsed.get(), i));
      answer_one(basic.get(), id, ca_.get(), lookup, this_update.get(), next_update.get());
    }
    ossl::require(OCSP_copy_nonce(basic.get(), parsed.get()) > 0, "copying the OCSP nonce");
    // A delegated responder's certificate travels with the answer, so a client holding only the CA
    // can check it; the CA's own certificate the client has already.
    const unsigned long flags = delegated_ ? 0 : OCSP_NOCERTS;
    ossl::require(OCSP_basic_sign(basic.get(), signer_.get(), key_.get(), signing_digest(key_.get()), nullptr,
                                  flags) == 1,
                  "signing the OCSP response");
    const ossl::UniquePtr<OCSP_RESPONSE> response(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    ossl::require(response != nullptr, "wrapping the OCSP response");
    return response_der(response.get());
  } catch (const Error&) {
    return status_only(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
}

}  // namespace krtool::cert
