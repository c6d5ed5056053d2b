// Plain TCP to a server on 127.0.0.1, for tests of the server's life cycle: can it be connected to,
// and does it answer HTTP; and the listening side of the tests' own loopback servers. Every wait is
// bounded (5 s per answer, 10 s for a connection or a request).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace krtool::test {

// connect_to returns a connected socket to 127.0.0.1:port, or -1.
inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  ::close(fd);
  return -1;
}

inline bool accepts_connections(int port) {
  const int fd = connect_to(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// answers_http sends one request and reports whether an HTTP answer came: the accept loop runs.
inline bool answers_http(int port) {
  const int fd = connect_to(port);
  if (fd < 0) return false;
  const timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  static constexpr char kRequest[] = "GET / HTTP/1.0\r\n\r\n";
  const bool sent = ::send(fd, kRequest, sizeof kRequest - 1, MSG_NOSIGNAL) == sizeof kRequest - 1;
  char answer[8] = {};
  const bool answered = sent && ::recv(fd, answer, sizeof answer, MSG_WAITALL) == sizeof answer;
  ::close(fd);
  return answered && std::string(answer, 5) == "HTTP/";
}

// listen_on_loopback opens a listening socket on 127.0.0.1, on a port the system picks: `port`.
inline int listen_on_loopback(int& port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  port = ntohs(address.sin_port);
  REQUIRE(::listen(listener, 4) == 0);
  return listener;
}

// wait_readable polls `fd` in short steps until it is readable, `stop` is set, or 10 s pass.
inline bool wait_readable(int fd, const std::atomic<bool>& stop) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!stop && std::chrono::steady_clock::now() < end) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 50) > 0) return true;
  }
  return false;
}

}  // namespace krtool::test
