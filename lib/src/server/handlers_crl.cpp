// The crl: handler: the CA's current CRL, made from its database, DER as a CRL distribution point
// serves it (RFC 5280 4.2.1.13). It is made again when the database changes, and before the served
// one gets old; otherwise every request gets the same bytes.
#include <fmt/format.h>

#include <mutex>

#include "krtool/cert/crl_builder.hpp"
#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "server/ca_route.hpp"
#include "server/response_json.hpp"

namespace krtool::server {
namespace {

// A served CRL is valid for a day and made again after an hour, so a client that caches it until its
// nextUpdate still sees a revocation within a day, and one that asks again sees it at once.
constexpr std::chrono::hours kCrlValidity{24};
constexpr std::chrono::hours kCrlRefresh{1};

class CrlHandler final : public Handler {
 public:
  explicit CrlHandler(const std::string& argument)
      : argument_(detail::parse_ca_route_argument(argument, "crl:")), source_(argument_, true) {
    (void)current();  // a CA that cannot sign a CRL stops serve at start-up
  }

  HandlerResponse handle(const RequestView& request) const override {
    if (request.method != "GET" && request.method != "HEAD")
      return detail::error_response(405, "the CRL is fetched with GET");
    try {
      HandlerResponse response;
      response.content_type = "application/pkix-crl";
      response.body = current();
      return response;
    } catch (const Error& e) {
      return detail::error_response(500,
                                    fmt::format("cannot make the CRL of {}: {}", argument_.ca, e.what()));
    }
  }

  std::string describe() const override {
    return fmt::format("CRL of {} (database {})", argument_.ca,
                       cert::CaDatabase::path_for(argument_.ca).string());
  }

 private:
  std::string current() const {
    const detail::CaSource::Snapshot snapshot = source_.database();
    const TimePoint now = now_seconds();
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!der_.empty() && generation_ == snapshot.generation && now < made_at_ + kCrlRefresh) return der_;
    cert::CrlSpec spec;
    spec.this_update = now;
    spec.next_update = now + kCrlValidity;
    spec.crl_number = snapshot.database->crl_number();
    spec.revoked = snapshot.database->revocations();
    der_ = cert::crl_der(cert::build_crl(source_.ca(), spec).get());
    generation_ = snapshot.generation;
    made_at_ = now;
    return der_;
  }

  detail::CaRouteArgument argument_;
  detail::CaSource source_;
  mutable std::mutex mutex_;
  mutable std::string der_;
  mutable std::uint64_t generation_ = 0;
  mutable TimePoint made_at_{};
};

}  // namespace

std::shared_ptr<const Handler> crl_handler(const std::string& argument) {
  return std::make_shared<CrlHandler>(argument);
}

}  // namespace krtool::server
