// One access-log line per request, in text or JSON: when, what, how it ended, and what each layer
// decided (the TLS verdict on the client certificate, the authentication scheme's verdict).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "krtool/cert/identity.hpp"
#include "krtool/server/dev_server.hpp"

namespace krtool::server {

struct AccessRecord {
  std::string method, path, remote;
  int status = 0;
  double duration_ms = 0;
  std::string protocol;                  // "TLSv1.3", or "HTTP" for plain
  std::optional<cert::Identity> client;  // nullopt when no certificate was presented
  std::string tls_verdict;               // "-" for plain HTTP or no request
  std::string auth_verdict;
};

std::string format_access_line(const AccessRecord& record, LogFormat format);

// log_json renders a JSON log line; bytes that are not UTF-8 (a subject may hold any) become U+FFFD
// instead of failing the whole line, and C1 controls are written \u0080 ... \u009F.
std::string log_json(const nlohmann::json& document);

}  // namespace krtool::server
