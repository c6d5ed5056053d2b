#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/fetch.hpp"
#include "krtool/error.hpp"

namespace krtool::http {
namespace {

constexpr std::string_view kScheme = "http://";

struct Target {
  std::string host;
  int port = 80;
  std::string path;
};

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

[[noreturn]] void unusable(const std::string& url, std::string_view why) {
  throw Error(Errc::Usage, fmt::format("cannot fetch '{}': {}", url, why),
              "only http:// URLs of the form http://host[:port]/path can be fetched");
}

// parse_target splits http://host[:port]/path?query; "[::1]" spells an IPv6 host.
Target parse_target(const std::string& url) {
  if (!starts_with_ignoring_case(url, kScheme)) unusable(url, "not an http:// URL");
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  rest = rest.substr(0, rest.find('#'));
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  Target target;
  target.path = authority_end == std::string_view::npos ? "/" : std::string(rest.substr(authority_end));
  if (target.path.front() == '?') target.path = "/" + target.path;
  if (authority.find('@') != std::string_view::npos) unusable(url, "user information is not supported");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) unusable(url, "unterminated IPv6 address");
    target.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') unusable(url, "junk after the IPv6 address");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.rfind(':');
    target.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (target.host.empty()) unusable(url, "no host");
  if (!port_text.empty()) {
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), target.port);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || target.port < 1 ||
        target.port > 65535) {
      unusable(url, fmt::format("bad port '{}'", port_text));
    }
  }
  return target;
}

std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect";
    case httplib::Error::ConnectionTimeout:
      return "the connection timed out";
    case httplib::Error::Read:
      return "reading the response failed or timed out";
    case httplib::Error::Write:
      return "sending the request failed or timed out";
    case httplib::Error::Canceled:
      return fmt::format("the response is larger than {} bytes", kMaxFetchBytes);
    default:
      return httplib::to_string(error);
  }
}

}  // namespace

FetchResult fetch(const std::string& url, std::chrono::milliseconds timeout) {
  const Target target = parse_target(url);
  httplib::Client client(target.host, target.port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_follow_location(false);
  client.set_keep_alive(false);

  FetchResult result;
  httplib::Result response = client.Get(target.path, [&](const char* data, std::size_t length) {
    if (result.body.size() + length > kMaxFetchBytes) return false;
    result.body.append(data, length);
    return true;
  });
  if (!response) {
    throw Error(Errc::Network, fmt::format("fetching '{}' failed: {}", url, describe(response.error())),
                "check that the server is running and reachable from this machine");
  }
  result.status = response->status;
  return result;
}

}  // namespace krtool::http
