#include "server/access_log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>

namespace krtool::server {
namespace {

std::string now_rfc3339_millis() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buffer, millis);
}

// in_quotes escapes '"' and '\' with a backslash, so that a subject such as CN=x" auth="ok cannot end
// its field and forge the next one.
std::string in_quotes(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string log_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string log_json(const nlohmann::json& document) {
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_access_line(const AccessRecord& r, LogFormat format) {
  if (format == LogFormat::Json) {
    nlohmann::json j{{"time", now_rfc3339_millis()}, {"remote", r.remote}, {"method", r.method}, {"path", r.path},
                     {"status", r.status}, {"durationMs", r.duration_ms}, {"protocol", r.protocol},
                     {"tls", r.tls_verdict}, {"auth", r.auth_verdict}};
    j["clientCertificate"] = r.client_subject.empty()
                                 ? nlohmann::json(nullptr)
                                 : nlohmann::json{{"subject", r.client_subject}, {"thumbprint", r.client_thumbprint}};
    return log_json(j);
  }
  const std::string client =
      r.client_subject.empty() ? "-" : fmt::format("\"{}\" {}", in_quotes(r.client_subject), r.client_thumbprint);
  return log_safe(fmt::format("{} {} {} {} {} {:.1f}ms {} cert={} tls=\"{}\" auth=\"{}\"", now_rfc3339_millis(), r.remote,
                              r.method, in_quotes(r.path), r.status, r.duration_ms, r.protocol, client,
                              in_quotes(r.tls_verdict), in_quotes(r.auth_verdict)));
}

}  // namespace krtool::server
