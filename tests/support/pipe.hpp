// Pipe: a pipe for a test to wait on without a clock: reading blocks until the other side writes, or until
// close_write() makes every read, blocked or not, return the end of the stream.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace krtool::test {

class Pipe {
 public:
  Pipe() {
    int ends[2];
    REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
    read_end_ = ends[0];
    write_end_ = ends[1];
  }
  ~Pipe() {
    close_write();
    ::close(read_end_);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int read_end() const { return read_end_; }
  int write_end() const { return write_end_; }
  void close_write() {
    if (write_end_ >= 0) ::close(write_end_);
    write_end_ = -1;
  }

 private:
  int read_end_ = -1, write_end_ = -1;
};

}  // namespace krtool::test
