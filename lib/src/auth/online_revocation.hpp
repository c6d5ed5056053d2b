// OnlineRevocation is revocation mode Online for one leaf whose chain is already trusted: ask the OCSP
// responders in the leaf's AIA first, and when none gives a believable good or revoked answer, fetch the
// CRL from its distribution points (as Windows' chain engine does for .NET). Answers are cached until
// their nextUpdate. When neither source settles it, the status is RevocationStatusUnknown and the
// caller fails closed. Shared by the certificate scheme and the TLS layer; thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "auth/crl_cache.hpp"
#include "auth/ocsp.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/chain.hpp"

namespace krtool::auth {

struct RevocationOutcome {
  // Revoked or RevocationStatusUnknown (with OfflineRevocation when a server could not be reached);
  // nullopt when the leaf is good.
  std::optional<cert::ChainProblem> problem;
  // Where the status came from: "OCSP at http://..., good, cached until 2026-12-05T13:00:00Z", "CRL at
  // http://..., revoked, cached until T". Empty when unknown: the problem's text names each source.
  std::string source;
};

class OnlineRevocation {
 public:
  // An empty `fetcher` is the plain HTTP client (http::fetch); an empty `clock` is the system clock.
  OnlineRevocation(std::chrono::milliseconds fetch_timeout, RevocationFetcher fetcher = {},
                   std::function<TimePoint()> clock = {});

  // check judges the leaf of `trusted` (a request whose chain verified, without CRLs), issued by
  // `issuer`. Throws only what OpenSSL fails to do locally; every network or responder failure is an
  // outcome.
  RevocationOutcome check(const cert::ChainRequest& trusted, X509* issuer);

  std::function<TimePoint()> clock() const { return clock_; }

 private:
  struct Asked {
    OcspAnswer answer;
    std::string url;
  };
  // ask_ocsp: the answer of the first responder whose answer is good or revoked, from the cache when
  // fresh; otherwise nullopt, with each responder's failure appended to `failures`.
  std::optional<Asked> ask_ocsp(X509* leaf, X509* issuer, const ResponderUrls& urls,
                                std::vector<std::string>& failures, bool& unreachable);
  RevocationOutcome check_crls(const cert::ChainRequest& trusted, std::vector<std::string>& failures,
                               bool ocsp_unreachable, bool named_ocsp);

  std::chrono::milliseconds fetch_timeout_;
  RevocationFetcher fetcher_;
  std::function<TimePoint()> clock_;
  CrlCache crls_;
  std::mutex mutex_;
  std::map<std::string, Asked> ocsp_;  // by responder URL and CertID
};

}  // namespace krtool::auth
