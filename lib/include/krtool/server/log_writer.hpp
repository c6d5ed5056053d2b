// LogWriter writes whole lines to a file descriptor without a system call per line: lines go to a
// buffer in memory that a background thread writes out at least every 100 ms, and at once when it
// holds 64 KiB. The access log uses it so that serving a request costs no write(2), and everything else
// that serve prints on standard error goes through the same writer, so that no line is cut in two.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace krtool::server {

struct LogWriterLimits {
  std::chrono::milliseconds interval{100};  // the longest a line waits in the buffer
  std::size_t flush_at = 64 * 1024;         // a buffer this full is written out at once
  // A buffer this full (the descriptor blocks: a paused terminal, a full pipe) drops further lines; the
  // next line written says how many were dropped.
  std::size_t max_buffered = 4 * 1024 * 1024;
};

class LogWriter {
 public:
  explicit LogWriter(int fd, LogWriterLimits limits = {});
  ~LogWriter();  // writes what is buffered
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // write_line buffers `line` and a line break; thread-safe, never throws, never blocks on the
  // descriptor.
  void write_line(std::string_view line) noexcept;
  // flush writes what is buffered now and returns when it is written; thread-safe.
  void flush() noexcept;
  // dropped counts the lines dropped since the writer was made.
  std::size_t dropped() const;

 private:
  void run();
  void write_out() noexcept;  // takes the buffer and writes it, in order with other write_out calls

  const int fd_;
  const LogWriterLimits limits_;
  mutable std::mutex mutex_;  // guards the fields below
  std::condition_variable wake_;
  std::string buffer_;
  std::size_t dropped_total_ = 0, dropped_unreported_ = 0;
  bool stopping_ = false;
  std::mutex write_mutex_;  // one write_out at a time, so that buffers reach the descriptor in order
  std::thread flusher_;
};

// stderr_writer is the process's writer of standard error, made on first use and flushed at exit.
LogWriter& stderr_writer();

}  // namespace krtool::server
