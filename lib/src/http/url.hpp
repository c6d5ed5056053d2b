// The part of an http:// or https:// URL that krtool's two HTTP clients need (test-client, and the
// authentication scheme's CRL fetch), parsed strictly so that a typo is an error, not a request to the
// wrong place.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace krtool::http {

struct Url {
  bool tls = true;   // https (true) or http
  std::string host;  // without brackets for IPv6 literals
  int port = 443;
  std::string target;     // path and query, at least "/"
  std::string authority;  // the Host header: host, bracketed for IPv6, with the port when not the default
};

// parse_url returns the URL's parts, or why it is not a URL krtool can call (the caller names the flag or
// the file the URL came from).
std::variant<Url, std::string> parse_url(std::string_view text);

}  // namespace krtool::http
