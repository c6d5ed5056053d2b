// OcspResponder answers RFC 6960 requests for the certificates of one CA: good, revoked (with time
// and reason) or unknown, signed by the CA itself or by a responder certificate the CA delegated
// OCSP signing to (id-kp-OCSPSigning). It works on DER bytes so that any transport can carry it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "krtool/cert/bundle.hpp"
#include "krtool/cert/revocation.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

// kMaxOcspRequestBytes bounds what respond() parses: a request for a few certificates with a nonce
// is a few hundred bytes; kMaxOcspRequestCertificates bounds the answers it signs for one request.
inline constexpr std::size_t kMaxOcspRequestBytes = 16 * 1024;
inline constexpr std::size_t kMaxOcspRequestCertificates = 32;

struct OcspStatus {
  enum class Kind { Good, Revoked, Unknown } kind = Kind::Unknown;
  TimePoint revoked_at{};  // when Revoked
  RevocationReason reason = RevocationReason::Unspecified;
};

// OcspLookup answers for one serial (serial_hex spelling) of the CA.
using OcspLookup = std::function<OcspStatus(const std::string& serial)>;

class OcspResponder {
 public:
  // `ca` needs only its certificate. `signer` is the CA again (with its key) or a delegated
  // responder: issued by the CA, with the id-kp-OCSPSigning extended key usage and its key; anything
  // else is Error(Input) naming what is missing. Answers are valid from their thisUpdate for `validity`;
  // a zero `validity` gives answers without nextUpdate (newer information is available at any time).
  OcspResponder(const CertBundle& ca, const CertBundle& signer,
                std::chrono::seconds validity = std::chrono::hours(1));

  // respond returns a DER OCSPResponse for the DER OCSPRequest `request`, at time `now` (thisUpdate;
  // producedAt is OpenSSL's clock). It never throws for a bad request: an oversized, undecodable or
  // empty one, or one asking for more than kMaxOcspRequestCertificates, gets malformedRequest; a
  // failure while signing gets internalError. A certificate of another CA is answered unknown. The
  // request's nonce, when it has one, is echoed.
  std::string respond(std::string_view request, const OcspLookup& lookup, TimePoint now) const;

  std::chrono::seconds validity() const { return validity_; }
  bool delegated() const { return delegated_; }

 private:
  ossl::UniquePtr<X509> ca_;
  ossl::UniquePtr<X509> signer_;
  ossl::UniquePtr<EVP_PKEY> key_;
  std::chrono::seconds validity_;
  bool delegated_ = false;
};

}  // namespace krtool::cert
