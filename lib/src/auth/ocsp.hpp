// OCSP (RFC 6960) for Online revocation mode, as a client: the question asked of the responder named in
// a certificate's AIA, and the judgement of its answer. The network and the cache are elsewhere
// (online_revocation.hpp); this is what decides whether an answer is believed, with the time given.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "cert/ocsp_handles.hpp"  // the OCSP owners, shared with the responder
#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::auth {

// kOcspClockSkew is how far the responder's clock may be from ours: a thisUpdate further in the future,
// or a nextUpdate further in the past, makes the answer stale (OpenSSL's `ocsp -validity_period` is
// the same idea, 5 minutes by default).
inline constexpr std::chrono::seconds kOcspClockSkew{300};

// kOcspLifetimeWithoutNextUpdate is how long a good or revoked answer without nextUpdate is reused:
// none. Such a responder (krtool's ocsp: route, openssl ocsp without -ndays) says that "newer revocation
// information is available all the time" (RFC 6960, section 2.4), so it is asked again each time.
inline constexpr std::chrono::seconds kOcspLifetimeWithoutNextUpdate{0};

// ResponderUrls are the OCSP responders in a certificate's Authority Information Access.
struct ResponderUrls {
  std::vector<std::string> http;   // asked, in order
  std::vector<std::string> other;  // https://, ldap://...: named in the failure, not asked
};
ResponderUrls ocsp_responder_urls(X509* certificate);

// OcspQuery is one question: the request (with its nonce) and the CertID of the leaf it asks about.
struct OcspQuery {
  ossl::UniquePtr<OCSP_REQUEST> request;
  ossl::UniquePtr<OCSP_CERTID> id;
  std::string der;  // what is POSTed, as application/ocsp-request
};

// make_ocsp_query asks about `leaf`, issued by `issuer`, with a fresh 16-byte nonce.
OcspQuery make_ocsp_query(X509* leaf, X509* issuer);

struct OcspAnswer {
  enum class Status { Good, Revoked, Unknown };
  Status status = Status::Unknown;
  // Revoked: "revoked at T (reason keyCompromise)". Unknown: why the answer is not believed or what the
  // responder said ("the responder does not know the certificate", "signed by 'CN=x', ...").
  std::string detail;
  TimePoint fresh_until{};  // Good and Revoked: until when the answer may be reused
};

// judge_ocsp_response reads the responder's DER answer to `query` at time `now`. Believed only when it
// is a successful basic response, its nonce (when it has one) is the query's, its signature verifies
// with the key of `issuer` itself or of a delegated responder certificate that `issuer` signed, carries
// id-kp-OCSPSigning and is valid at `now`, it has a single response for the query's CertID, and it is
// fresh (thisUpdate not beyond now + skew, nextUpdate not before now - skew). Anything else is Unknown
// with the reason; never throws for what the responder sent.
OcspAnswer judge_ocsp_response(std::string_view der, const OcspQuery& query, X509* issuer, TimePoint now);

}  // namespace krtool::auth
