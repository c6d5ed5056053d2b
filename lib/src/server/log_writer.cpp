#include "krtool/server/log_writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "krtool/server/dev_server.hpp"
#include "util/quiet_thread.hpp"

namespace krtool::server {

LogWriter::LogWriter(int fd, LogWriterLimits limits) : fd_(fd), limits_(limits) {
  buffer_.reserve(limits_.flush_at);
  flusher_ = util::start_quiet_thread([this] { run(); });
}

LogWriter::~LogWriter() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  flusher_.join();
  write_out();
}

void LogWriter::write_line(std::string_view line) noexcept {
  bool full = false;
  try {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (buffer_.size() + line.size() + 1 > limits_.max_buffered) {
      ++dropped_total_;
      ++dropped_unreported_;
      return;
    }
    if (dropped_unreported_ > 0) {
      buffer_ += fmt::format("krtool: the log dropped {} line{} while standard error was not taking them\n",
                             dropped_unreported_, dropped_unreported_ == 1 ? "" : "s");
      dropped_unreported_ = 0;
    }
    buffer_.append(line);
    buffer_ += '\n';
    full = buffer_.size() >= limits_.flush_at;
  } catch (...) {
    // Out of memory: the line is lost, the caller (a request's thread) is not.
    return;
  }
  if (full) wake_.notify_one();
}

void LogWriter::flush() noexcept { write_out(); }

std::size_t LogWriter::dropped() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return dropped_total_;
}

void LogWriter::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, limits_.interval,
                   [this] { return stopping_ || buffer_.size() >= limits_.flush_at; });
    if (buffer_.empty()) continue;
    lock.unlock();
    write_out();
    lock.lock();
  }
}

void LogWriter::write_out() noexcept {
  const std::lock_guard<std::mutex> writing(write_mutex_);
  std::string taken;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    taken.swap(buffer_);
  }
  size_t done = 0;
  while (done < taken.size()) {
    const ssize_t written = ::write(fd_, taken.data() + done, taken.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;  // a closed or broken descriptor: nothing left to tell anyone
    done += static_cast<size_t>(written);
  }
  taken.clear();
  const std::lock_guard<std::mutex> lock(mutex_);
  if (buffer_.empty()) buffer_.swap(taken);  // keep the capacity for the next lines
}

LogWriter& stderr_writer() {
  static LogWriter writer(STDERR_FILENO);
  return writer;
}

std::function<void(const std::string& line)> stderr_log() {
  return [](const std::string& line) { stderr_writer().write_line(line); };
}

}  // namespace krtool::server
