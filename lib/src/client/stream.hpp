// Stream is what the HTTP exchange reads from and writes to: a plain socket or a TLS session. Both are
// non-blocking underneath and bounded by a Deadline.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "client/connection.hpp"

namespace krtool::client {

class Stream {
 public:
  virtual ~Stream() = default;
  // write_all sends everything or returns false with failure() set.
  virtual bool write_all(std::string_view data, const Deadline& deadline) = 0;
  // read_some returns the bytes read (> 0), 0 at the end of the stream, or -1 with failure() set.
  virtual long read_some(char* buffer, std::size_t size, const Deadline& deadline) = 0;
  const std::string& failure() const { return failure_; }
  bool timed_out() const { return timed_out_; }

 protected:
  std::string failure_;
  bool timed_out_ = false;
};

// PlainStream is HTTP without TLS (http:// URLs, and the probe that tells a plain HTTP port).
class PlainStream : public Stream {
 public:
  explicit PlainStream(Socket socket) : socket_(std::move(socket)) {}
  bool write_all(std::string_view data, const Deadline& deadline) override;
  long read_some(char* buffer, std::size_t size, const Deadline& deadline) override;

 private:
  Socket socket_;
};

}  // namespace krtool::client
