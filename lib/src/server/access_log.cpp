#include "server/access_log.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace krtool::server {
namespace {

std::string now_rfc3339_millis() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buffer, millis);
}

}  // namespace

std::string log_json(const nlohmann::json& document) {
  return util::escape_c1_in_json(document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string format_access_line(const AccessRecord& r, LogFormat format) {
  if (format == LogFormat::Json) {
    nlohmann::json j{{"time", now_rfc3339_millis()}, {"remote", r.remote},
                     {"method", r.method},           {"path", r.path},
                     {"status", r.status},           {"durationMs", r.duration_ms},
                     {"protocol", r.protocol},       {"tls", r.tls_verdict},
                     {"auth", r.auth_verdict}};
    j["clientCertificate"] = r.client ? cert::to_json(*r.client) : nlohmann::json(nullptr);
    return log_json(j);
  }
  const std::string client =
      !r.client ? "-"
                : fmt::format("\"{}\" {}", util::escape_quotes(r.client->subject), r.client->thumbprint);
  return util::escape_controls(
      fmt::format("{} {} {} {} {} {:.1f}ms {} cert={} tls=\"{}\" auth=\"{}\"", now_rfc3339_millis(), r.remote,
                  r.method, util::escape_quotes(r.path), r.status, r.duration_ms, r.protocol, client,
                  util::escape_quotes(r.tls_verdict), util::escape_quotes(r.auth_verdict)));
}

}  // namespace krtool::server
