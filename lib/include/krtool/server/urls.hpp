// Kestrel's URL list (ASPNETCORE_URLS, --urls, appsettings' "urls"): the endpoints a server listens on,
// written "https://127.0.0.1:8443;http://127.0.0.1:8080", so that a Kestrun user's environment carries
// over to krtool serve unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace krtool::server {

// Endpoint is one listening socket: an IP address, a port (0 picks a free one) and whether it speaks
// TLS. A server with a certificate can listen on plain HTTP too, as Kestrel can.
struct Endpoint {
  std::string address;
  int port = 0;
  bool https = false;
  // Where the machine lacks the address family (the ::1 of `localhost` without IPv6), skip the
  // endpoint instead of failing, as Kestrel does.
  bool skip_if_unavailable = false;
};

// kMaxUrls bounds a URL list: each URL is a listening socket.
inline constexpr std::size_t kMaxUrls = 16;

// parse_urls reads a URL list as Kestrel does: URLs separated by ';', each scheme://host[:port][/], where
// scheme is http or https, the port defaults to 80 or 443, and host is an IP address (IPv6 in
// brackets), `localhost` (both 127.0.0.1 and ::1, as Kestrel binds both loopbacks), or `*`, `+` or
// `0.0.0.0` for every IPv4 address. Kestrel binds any other host name to every address with a
// warning; krtool refuses it, so that a development server is never exposed by a typo. A path (other
// than "/") is refused as Kestrel refuses it. Error(Usage) names `origin` ("--urls",
// "$ASPNETCORE_URLS") and the URL.
std::vector<Endpoint> parse_urls(std::string_view list, std::string_view origin);

// endpoint_url is the URL a client uses: "https://127.0.0.1:8443", "http://[::1]:80".
std::string endpoint_url(const Endpoint& endpoint);

}  // namespace krtool::server
