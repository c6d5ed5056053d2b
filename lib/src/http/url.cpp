#include "http/url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/text.hpp"

namespace krtool::http {

namespace {

using util::starts_with_ignoring_case;

bool parse_port(std::string_view digits, int& port) {
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return !digits.empty() && error == std::errc() && end == digits.data() + digits.size() && port >= 1 &&
         port <= 65535;
}

}  // namespace

std::variant<Url, std::string> parse_url(std::string_view text) {
  Url url;
  std::string_view rest = text;
  if (starts_with_ignoring_case(rest, "https://")) {
    rest.remove_prefix(8);
  } else if (starts_with_ignoring_case(rest, "http://")) {
    url.tls = false;
    url.port = 80;
    rest.remove_prefix(7);
  } else {
    return std::string("it must start with https:// or http://");
  }
  rest = rest.substr(0, rest.find('#'));
  // A space, a control character or DEL would end the request line or start a header: refuse it rather
  // than send it (percent-encode it in the URL instead).
  if (std::any_of(rest.begin(), rest.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return std::string("it contains a space or a control character (percent-encode it, e.g. %20)");
  }
  const std::size_t path_at = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_at);
  const std::string_view target =
      path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
  url.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  if (authority.find('@') != std::string_view::npos)
    return std::string("user names in URLs are not supported");

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::string("an IPv6 address needs its closing ']'");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::string("expected ':PORT' after the IPv6 address");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::string("it names no host");
  if (has_port && !parse_port(port_text, url.port))
    return fmt::format("'{}' is not a port number (1-65535)", port_text);
  url.authority = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) url.authority += fmt::format(":{}", url.port);
  return url;
}

}  // namespace krtool::http
