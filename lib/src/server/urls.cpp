#include "krtool/server/urls.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_ip_address(const std::string& text, int family) {
  unsigned char bytes[16];
  return inet_pton(family, text.c_str(), bytes) == 1;
}

[[noreturn]] void bad_url(std::string_view origin, std::string_view url, std::string_view why,
                          std::string_view hint) {
  throw Error(Errc::Usage, fmt::format("{}: '{}' {}", origin, url, why), std::string(hint));
}

constexpr std::string_view kExample = "e.g. https://127.0.0.1:8443;http://127.0.0.1:8080";

void parse_one(std::string_view url, std::string_view origin, std::vector<Endpoint>& out) {
  Endpoint endpoint;
  std::string_view rest = url;
  const std::string scheme = util::lower(rest.substr(0, rest.find("://")));
  if (rest.find("://") == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    bad_url(origin, url, "is not an http:// or https:// URL", kExample);
  }
  endpoint.https = scheme == "https";
  rest.remove_prefix(scheme.size() + 3);
  const std::size_t path_start = rest.find('/');
  if (path_start != std::string_view::npos) {
    if (rest.substr(path_start) != "/") {
      bad_url(origin, url, "has a path; a listening URL names only the scheme, host and port",
              "remove the path: routes are given with --route");
    }
    rest = rest.substr(0, path_start);
  }
  std::string host;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) bad_url(origin, url, "has an unclosed '['", "write [::1]:8443");
    host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(':'))
      bad_url(origin, url, "has text after ']'", "write [::1]:8443");
    if (!host.empty() && !is_ip_address(host, AF_INET6)) {
      bad_url(origin, url, "has no IPv6 address in brackets", "write [::1]:8443");
    }
  } else {
    const std::size_t colon = rest.find(':');
    host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (rest.starts_with(':')) {
    port_text = rest.substr(1);
    int port = -1;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
      bad_url(origin, url, "has no port from 0 to 65535 after ':'", "0 picks a free port");
    }
    endpoint.port = port;
  } else {
    endpoint.port = endpoint.https ? 443 : 80;
  }
  if (host.empty()) bad_url(origin, url, "names no host", kExample);
  const std::string host_lower = util::lower(host);
  if (host_lower == "localhost") {
    // Both loopbacks, as Kestrel binds them; the IPv6 one only where the machine has IPv6. Two free
    // ports would be two different ports, so port 0 is refused as Kestrel refuses it.
    if (endpoint.port == 0) {
      bad_url(origin, url, "asks for a free port on localhost, which is two addresses",
              "write 127.0.0.1:0 or [::1]:0");
    }
    endpoint.address = "127.0.0.1";
    out.push_back(endpoint);
    endpoint.address = "::1";
    endpoint.skip_if_unavailable = true;
    out.push_back(endpoint);
    return;
  }
  if (host == "*" || host == "+") {
    endpoint.address = "0.0.0.0";
  } else if (is_ip_address(host, AF_INET) || is_ip_address(host, AF_INET6)) {
    endpoint.address = host;
  } else {
    bad_url(origin, url,
            fmt::format("names the host '{}'; a listening URL needs an IP address, localhost, or * for every "
                        "address",
                        host),
            "write https://127.0.0.1:8443 (Kestrel would bind every address here; krtool will not guess)");
  }
  out.push_back(std::move(endpoint));
}

}  // namespace

std::vector<Endpoint> parse_urls(std::string_view list, std::string_view origin) {
  std::vector<Endpoint> endpoints;
  std::size_t urls = 0;
  while (!list.empty()) {
    const std::size_t end = list.find(';');
    const std::string_view url = trim(list.substr(0, end));
    list = end == std::string_view::npos ? std::string_view() : list.substr(end + 1);
    if (url.empty()) continue;
    if (++urls > kMaxUrls) {
      throw Error(Errc::Usage, fmt::format("{}: more than {} URLs", origin, kMaxUrls),
                  "each URL is a listening socket; name fewer");
    }
    parse_one(url, origin, endpoints);
  }
  if (endpoints.empty()) {
    throw Error(Errc::Usage, fmt::format("{}: no URL given", origin), std::string(kExample));
  }
  return endpoints;
}

std::string endpoint_url(const Endpoint& endpoint) {
  const bool v6 = endpoint.address.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", endpoint.https ? "https" : "http", v6 ? "[" : "", endpoint.address,
                     v6 ? "]" : "", endpoint.port);
}

}  // namespace krtool::server
