#include "auth/ocsp.hpp"

#include <fmt/format.h>
#include <openssl/ocsp.h>

#include "krtool/cert/chain.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::auth {
namespace {

using Status = OcspAnswer::Status;

OcspAnswer unknown(std::string why) {
  OcspAnswer answer;
  answer.detail = std::move(why);
  return answer;
}

std::string subject_of(X509* certificate) { return cert::format_dn(X509_get_subject_name(certificate)); }

bool is_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  return url.size() > kScheme.size() && util::starts_with_ignoring_case(url, kScheme);
}

std::string serial_of(const OCSP_CERTID* id) {
  ASN1_INTEGER* serial = nullptr;
  if (OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, const_cast<OCSP_CERTID*>(id)) != 1 ||
      serial == nullptr)
    return "?";
  ossl::UniquePtr<BIGNUM> number(ASN1_INTEGER_to_BN(serial, nullptr));
  if (number == nullptr) return "?";
  ossl::UniquePtr<char> hex(BN_bn2hex(number.get()));
  return hex != nullptr ? hex.get() : "?";
}

// trusted_signer says why `signer` may not speak for `issuer`, or "" when it may: RFC 6960 section
// 4.2.2.2 allows the issuer itself, or a responder certificate the issuer signed for id-kp-OCSPSigning.
std::string untrusted_signer(X509* signer, X509* issuer, TimePoint now) {
  if (X509_cmp(signer, issuer) == 0) return "";
  const std::string name = subject_of(signer);
  if (X509_check_issued(issuer, signer) != X509_V_OK || X509_verify(signer, X509_get0_pubkey(issuer)) != 1) {
    ossl::drain_errors();
    return fmt::format(
        "it is signed by '{}', which is neither the issuer '{}' nor a responder the issuer "
        "certified",
        name, subject_of(issuer));
  }
  if ((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0)
    return fmt::format(
        "its signer '{}' was issued by the issuer but lacks the OCSPSigning extended key usage", name);
  if (cert::validity_problem(signer, now))
    return fmt::format("its delegated responder certificate '{}' is outside its validity period", name);
  return "";
}

TimePoint time_of(const ASN1_GENERALIZEDTIME* time, std::string_view what) {
  return from_asn1_time(time, what);
}

}  // namespace

ResponderUrls ocsp_responder_urls(X509* certificate) {
  ResponderUrls urls;
  std::unique_ptr<STACK_OF(OPENSSL_STRING), void (*)(STACK_OF(OPENSSL_STRING)*)> found(
      X509_get1_ocsp(certificate), X509_email_free);
  for (int i = 0; found != nullptr && i < sk_OPENSSL_STRING_num(found.get()); ++i) {
    std::string url = sk_OPENSSL_STRING_value(found.get(), i);
    (is_http_url(url) ? urls.http : urls.other).push_back(std::move(url));
  }
  return urls;
}

OcspQuery make_ocsp_query(X509* leaf, X509* issuer) {
  OcspQuery query;
  query.id.reset(OCSP_cert_to_id(EVP_sha1(), leaf, issuer));
  ossl::require(query.id != nullptr, "naming the certificate for an OCSP request");
  query.request.reset(OCSP_REQUEST_new());
  ossl::require(query.request != nullptr, "making an OCSP request");
  ossl::UniquePtr<OCSP_CERTID> asked(OCSP_CERTID_dup(query.id.get()));
  ossl::require(asked != nullptr && OCSP_request_add0_id(query.request.get(), asked.get()) != nullptr,
                "adding the certificate to the OCSP request");
  asked.release();  // the request owns it now
  ossl::require(OCSP_request_add1_nonce(query.request.get(), nullptr, -1) == 1,
                "adding a nonce to the OCSP request");
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_REQUEST(query.request.get(), &der);
  ossl::require(length > 0, "encoding the OCSP request");
  ossl::UniquePtr<unsigned char> owned(der);
  query.der.assign(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  return query;
}

OcspAnswer judge_ocsp_response(std::string_view der, const OcspQuery& query, X509* issuer, TimePoint now) {
  try {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    ossl::UniquePtr<OCSP_RESPONSE> response(
        d2i_OCSP_RESPONSE(nullptr, &bytes, static_cast<long>(der.size())));
    if (response == nullptr) {
      ossl::drain_errors();
      return unknown("the answer is not an OCSP response");
    }
    if (const int status = OCSP_response_status(response.get()); status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
      return unknown(fmt::format("the responder answered '{}'", OCSP_response_status_str(status)));
    ossl::UniquePtr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(response.get()));
    if (basic == nullptr) {
      ossl::drain_errors();
      return unknown("the answer is not a basic OCSP response");
    }
    if (OCSP_check_nonce(query.request.get(), basic.get()) == 0)
      return unknown("its nonce is not the one asked with (a replayed answer)");

    ossl::UniquePtr<STACK_OF(X509)> issuer_only(sk_X509_new_null());
    ossl::require(issuer_only != nullptr, "listing the issuer for OCSP verification");
    ossl::UniquePtr<X509> listed = ossl::up_ref(issuer);
    ossl::require(sk_X509_push(issuer_only.get(), listed.get()) > 0,
                  "listing the issuer for OCSP verification");
    listed.release();  // the list owns it now
    X509* signer = nullptr;
    if (OCSP_resp_get0_signer(basic.get(), &signer, issuer_only.get()) != 1 || signer == nullptr) {
      ossl::drain_errors();
      return unknown("it names a signer it does not include, and that is not the issuer");
    }
    // The signature only; who may sign is RFC 6960's rule, checked below against the issuer.
    const int verified =
        OCSP_basic_verify(basic.get(), issuer_only.get(), nullptr, OCSP_NOVERIFY | OCSP_NOCHECKS);
    if (verified != 1) {
      ossl::drain_errors();
      return unknown(fmt::format("its signature by '{}' does not verify", subject_of(signer)));
    }
    if (std::string why = untrusted_signer(signer, issuer, now); !why.empty()) return unknown(std::move(why));

    int status = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
    if (OCSP_resp_find_status(basic.get(), query.id.get(), &status, &reason, &revoked_at, &this_update,
                              &next_update) != 1) {
      OCSP_SINGLERESP* first = OCSP_resp_get0(basic.get(), 0);
      return unknown(fmt::format("it is about another certificate (serial {}), not serial {}",
                                 first != nullptr ? serial_of(OCSP_SINGLERESP_get0_id(first)) : "none",
                                 serial_of(query.id.get())));
    }
    const TimePoint produced = time_of(this_update, "the thisUpdate of an OCSP answer");
    if (produced > now + kOcspClockSkew)
      return unknown(
          fmt::format("it is stale: its thisUpdate {} is in the future", format_rfc3339(produced)));
    OcspAnswer answer;
    answer.fresh_until = now + kOcspLifetimeWithoutNextUpdate;
    if (next_update != nullptr) {
      const TimePoint until = time_of(next_update, "the nextUpdate of an OCSP answer");
      if (until + kOcspClockSkew < now)
        return unknown(fmt::format("it is stale: its nextUpdate {} has passed", format_rfc3339(until)));
      answer.fresh_until = until;
    }
    switch (status) {
      case V_OCSP_CERTSTATUS_GOOD:
        answer.status = Status::Good;
        return answer;
      case V_OCSP_CERTSTATUS_REVOKED:
        answer.status = Status::Revoked;
        answer.detail =
            fmt::format("revoked at {}", format_rfc3339(time_of(revoked_at, "an OCSP revocation time")));
        if (reason != OCSP_REVOKED_STATUS_NOSTATUS)
          answer.detail += fmt::format(" (reason {})", OCSP_crl_reason_str(reason));
        return answer;
      default:
        return unknown("the responder does not know the certificate");
    }
  } catch (const Error& error) {
    ossl::drain_errors();
    return unknown(error.what());
  }
}

}  // namespace krtool::auth
