// Fixtures for the HTTP client's tests. LoopbackServer: a real TCP server on 127.0.0.1. It accepts one
// connection, reads the request (head, and a body of the Content-Length it declares), records it, and
// hands the socket to the test's script, which writes whatever answer the test needs, at whatever pace.
// Every wait is bounded, so a client that misbehaves fails the test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "support/loopback.hpp"

namespace krtool::test {

// zlib_encode compresses `text` with zlib as a server would: window_bits 31 is gzip, 15 zlib-wrapped
// deflate, -15 raw deflate.
inline std::string zlib_encode(const std::string& text, int window_bits) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  std::string out(deflateBound(&stream, text.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// send_text writes `text` whole; false once the client has gone (the script then stops).
inline bool send_text(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

class LoopbackServer {
 public:
  using Script = std::function<void(int fd)>;

  explicit LoopbackServer(Script script) : script_(std::move(script)) {
    listener_ = listen_on_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // request is what the client sent, head and body; empty if no client came.
  std::string request() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return request_;
  }
  bool stopping() const { return stop_; }

 private:
  void serve() {
    if (!wait_readable(listener_, stop_)) return;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string received;
    std::size_t wanted = std::string::npos;  // head + body, once the head is complete
    char buffer[4096];
    while (received.size() < wanted && received.size() < (1u << 20) && wait_readable(fd, stop_)) {
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
      const std::size_t end = received.find("\r\n\r\n");
      if (wanted == std::string::npos && end != std::string::npos) {
        std::size_t body = 0;
        const std::size_t length = received.find("\r\nContent-Length: ");
        if (length != std::string::npos && length < end) body = std::stoul(received.substr(length + 18));
        wanted = end + 4 + body;
      }
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      request_ = received;
    }
    script_(fd);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  Script script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string request_;
  std::thread thread_;
};

}  // namespace krtool::test
