// CrlCache: the CRLs that Online revocation mode downloads from certificates' distribution points,
// kept per URL until their nextUpdate so that each request does not fetch them again. How a CRL is
// fetched and what time it is are given, so that tests need neither a server nor a wait.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::auth {

class CrlCache {
 public:
  // `fetcher` and `clock` are required (OnlineRevocation gives the defaults).
  CrlCache(std::chrono::milliseconds fetch_timeout, RevocationFetcher fetcher,
           std::function<TimePoint()> clock);

  // CrlSet is what one distribution point published, and until when the cache keeps it.
  struct CrlSet {
    std::vector<ossl::UniquePtr<X509_CRL>> crls;
    TimePoint fresh_until;
  };

  // crls returns the CRLs published at an http:// `url`, downloading them when none are cached or the
  // cached ones are past their nextUpdate. Thread-safe: concurrent callers for one URL share a single
  // download and its outcome, so an unreachable server costs each of them one timeout, not one each in
  // turn. A failed download is not remembered. Throws Error saying why no CRL could be had.
  CrlSet crls(const std::string& url);

 private:
  struct Entry;
  using SharedEntry = std::shared_future<std::shared_ptr<const Entry>>;

  std::chrono::milliseconds fetch_timeout_;
  RevocationFetcher fetcher_;
  std::function<TimePoint()> clock_;
  std::mutex mutex_;
  std::map<std::string, SharedEntry> entries_;
};

}  // namespace krtool::auth
