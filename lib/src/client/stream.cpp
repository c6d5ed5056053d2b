#include "client/stream.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace krtool::client {

bool PlainStream::write_all(std::string_view data, const Deadline& deadline) {
  while (!data.empty()) {
    const ssize_t sent = ::send(socket_.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(socket_.fd(), true, deadline)) {
        timed_out_ = true;
        failure_ = "timed out sending the request";
        return false;
      }
    } else {
      failure_ = std::strerror(errno);
      return false;
    }
  }
  return true;
}

long PlainStream::read_some(char* buffer, std::size_t size, const Deadline& deadline) {
  for (;;) {
    const ssize_t got = ::recv(socket_.fd(), buffer, size, 0);
    if (got >= 0) return got;
    if (errno != EAGAIN && errno != EINTR) {
      failure_ = std::strerror(errno);
      return -1;
    }
    if (!wait_for(socket_.fd(), false, deadline)) {
      timed_out_ = true;
      failure_ = "timed out waiting for the response";
      return -1;
    }
  }
}

}  // namespace krtool::client
