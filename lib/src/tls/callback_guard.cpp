#include "tls/callback_guard.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>

namespace krtool::tls {

std::string peer_address(const SSL* ssl) {
  // The write side: the server reads through a memory BIO, and only its writes go to the socket.
  const int fd = ssl != nullptr ? SSL_get_wfd(ssl) : -1;
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(in->sin_port));
  }
  if (address.ss_family != AF_INET6) return "?";
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
  return fmt::format("[{}]:{}", host, ntohs(in6->sin6_port));
}

void report_callback_failure(const LogSink* log, const SSL* ssl, std::string_view callback,
                             std::string_view reason) noexcept {
  std::string line;
  bool sink_threw = false;
  try {
    line = fmt::format("tls: {} failed for {}: {}; the handshake is refused", callback, peer_address(ssl),
                       reason);
    if (log != nullptr && *log) {
      (*log)(line);
      return;
    }
  } catch (...) {
    sink_threw = true;  // the log sink (or formatting, out of memory) failed too
  }
  // Standard error is the last resort; fprintf allocates nothing that could throw.
  std::fprintf(stderr, "krtool: %s%s\n",
               line.empty() ? "tls: a callback failed; the handshake is refused" : line.c_str(),
               sink_threw ? " (and the log sink threw)" : "");
}

}  // namespace krtool::tls
