// TCP for test-client: resolve (honouring --resolve), connect with a deadline, and wait on a socket
// without ever blocking past the deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "krtool/client/test_client.hpp"

namespace krtool::client {

// SteadyNow is where a Deadline reads the time: the steady clock, or a unit test's clock, so that a
// test of a deadline need not wait for it.
using SteadyNow = std::chrono::steady_clock::time_point (*)();

// Deadline bounds the whole exchange: every wait asks it how long is left.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget, SteadyNow now = &std::chrono::steady_clock::now)
      : now_(now), end_(now() + budget) {}
  int remaining_ms() const;  // >= 0, for poll()
  bool passed() const { return remaining_ms() == 0; }
  // sooner returns a deadline that ends after `budget` or at this one, whichever comes first.
  Deadline sooner(std::chrono::milliseconds budget) const;

 private:
  Deadline(SteadyNow now, std::chrono::steady_clock::time_point end) : now_(now), end_(end) {}
  SteadyNow now_;
  std::chrono::steady_clock::time_point end_;
};

// Socket owns a file descriptor.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();
  int fd() const { return fd_; }
  int release();
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct ConnectFailure {
  std::string what;  // "connection refused", "timed out", "could not resolve", "unreachable"
  std::string detail;
};

struct Connected {
  Socket socket;
  std::string address;  // "127.0.0.1:5000" or "[::1]:5000"
};

// connect_to resolves host (or takes the --resolve override) and tries each address in turn; the
// socket it returns is non-blocking. On failure it returns the failure of the last address tried.
std::variant<Connected, ConnectFailure> connect_to(const std::string& host, int port,
                                                   const std::vector<HostOverride>& overrides,
                                                   const Deadline& deadline);

// wait_for waits until fd is readable (or writable) or the deadline passes; false on the deadline.
bool wait_for(int fd, bool writable, const Deadline& deadline);

}  // namespace krtool::client
