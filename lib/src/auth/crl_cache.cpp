#include "auth/crl_cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "krtool/cert/crl.hpp"
#include "krtool/error.hpp"
#include "krtool/util/time.hpp"

namespace krtool::auth {
namespace {

// A CRL without nextUpdate promises nothing about its successor; keep it long enough to spare the
// server a download per request, short enough that a new revocation is seen within minutes.
constexpr std::chrono::minutes kLifetimeWithoutNextUpdate{5};

}  // namespace

CrlCache::CrlCache(std::chrono::milliseconds fetch_timeout, RevocationFetcher fetcher,
                   std::function<TimePoint()> clock)
    : fetch_timeout_(fetch_timeout), fetcher_(std::move(fetcher)), clock_(std::move(clock)) {}

struct CrlCache::Entry {
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  TimePoint fresh_until;
};

namespace {

// fresh tells whether a cached entry may serve a caller now; a download still in flight counts as
// fresh, so that the caller joins it instead of starting another.
template <typename SharedEntry>
bool fresh(const SharedEntry& entry, TimePoint now) {
  if (entry.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return true;
  try {
    return now < entry.get()->fresh_until;
  } catch (const std::exception&) {
    return false;  // the last download failed: try again
  }
}

}  // namespace

CrlCache::CrlSet CrlCache::crls(const std::string& url) {
  SharedEntry entry;
  std::promise<std::shared_ptr<const Entry>> download;
  bool downloading = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = entries_.find(url);
    if (found != entries_.end() && fresh(found->second, clock_())) {
      entry = found->second;
    } else {
      entry = download.get_future().share();
      entries_[url] = entry;
      downloading = true;
    }
  }

  if (downloading) {
    try {
      RevocationRequest request;
      request.url = url;
      const RevocationResponse fetched = fetcher_(request, fetch_timeout_);
      if (fetched.status != 200) {
        throw Error(Errc::Network, fmt::format("'{}' answered HTTP {} instead of a CRL", url, fetched.status),
                    "check the certificate's CRL distribution point and the server that publishes it");
      }
      auto downloaded = std::make_shared<Entry>();
      downloaded->crls = cert::load_crls_from_bytes(fetched.body, url);
      downloaded->fresh_until = clock_() + kLifetimeWithoutNextUpdate;
      bool any_next_update = false;
      for (const auto& crl : downloaded->crls) {
        if (const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crl.get()); next_update != nullptr) {
          const TimePoint until =
              from_asn1_time(next_update, fmt::format("the nextUpdate of the CRL from '{}'", url));
          downloaded->fresh_until = any_next_update ? std::min(downloaded->fresh_until, until) : until;
          any_next_update = true;
        }
      }
      download.set_value(std::move(downloaded));
    } catch (...) {
      download.set_exception(std::current_exception());
    }
  }

  const std::shared_ptr<const Entry>& ready = entry.get();  // rethrows a failed download
  CrlSet copies;
  for (const auto& crl : ready->crls) copies.crls.push_back(ossl::up_ref(crl.get()));
  copies.fresh_until = ready->fresh_until;
  return copies;
}

}  // namespace krtool::auth
