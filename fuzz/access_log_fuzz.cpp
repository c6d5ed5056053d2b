// The access log: request paths, methods and client certificate subjects come from the network and
// must never break a log line. A text line holds no control character and a JSON line is one valid
// JSON document, whatever the bytes.
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "server/access_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The input is the record's text fields, separated by NUL bytes.
  std::vector<std::string> fields(7);
  size_t field = 0;
  for (const char c : krtool::fuzz::text_of(data, size)) {
    if (c == '\0' && field + 1 < fields.size()) {
      ++field;
    } else {
      fields[field] += c;
    }
  }
  krtool::server::AccessRecord record;
  record.method = fields[0];
  record.path = fields[1];
  record.remote = fields[2];
  // The client's identity fields come from its certificate, whose names may hold any bytes.
  krtool::cert::Identity client;
  client.subject = fields[3];
  client.thumbprint = fields[4];
  client.issuer = fields[3];
  record.client = client;
  record.tls_verdict = fields[5];
  record.auth_verdict = fields[6];
  record.status = 200;
  record.protocol = "TLSv1.3";

  const std::string text = krtool::server::format_access_line(record, krtool::server::LogFormat::Text);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) std::abort();
  }
  const std::string json = krtool::server::format_access_line(record, krtool::server::LogFormat::Json);
  if (json.find('\n') != std::string::npos || !nlohmann::json::accept(json)) std::abort();
  return 0;
}
