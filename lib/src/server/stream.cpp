#include "server/stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace krtool::server {

Stream::Stream(asio::ip::tcp::socket socket, ossl::UniquePtr<SSL> ssl)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), ssl_(std::move(ssl)) {
  std::error_code ignored;
  socket_.non_blocking(true, ignored);
  // Without TCP_NODELAY a response written as two TLS records waits ~40 ms on Nagle's algorithm and
  // the client's delayed ACK.
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (ssl_) {
    // OpenSSL writes to the socket itself; what it reads comes through a memory BIO that Asio fills
    // (fill()). Asio's reads try the socket before they wait and then wait without another system
    // call, where waiting for readiness alone costs an epoll_ctl each time: one call per request.
    BIO* incoming = BIO_new(BIO_s_mem());
    BIO* outgoing = BIO_new_socket(static_cast<int>(socket_.native_handle()), BIO_NOCLOSE);
    if (incoming == nullptr || outgoing == nullptr) {
      BIO_free(incoming);
      BIO_free(outgoing);
      ossl::drain_errors();
      ssl_.reset();  // the handshake fails and the connection closes
      return;
    }
    BIO_set_mem_eof_return(incoming, -1);  // empty means "wait for more", not end of stream
    SSL_set_bio(ssl_.get(), incoming, outgoing);
    incoming_ = incoming;
    // Partial writes let a large answer go out as the socket takes it; the buffer may move between
    // retries because write_all's position advances; idle connections give their buffers back.
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_RELEASE_BUFFERS);
    SSL_set_accept_state(ssl_.get());
  }
}

void Stream::set_deadline(Clock::time_point when) {
  deadline_ = when;
  timed_out_ = false;
  if (!timer_armed_ || when < timer_expiry_) arm(when);
}

void Stream::expire() {
  expired_ = true;
  std::error_code ignored;
  socket_.cancel(ignored);
}

void Stream::arm(Clock::time_point when) {
  if (when == Clock::time_point::max()) return;
  timer_expiry_ = when;
  timer_armed_ = true;
  timer_.expires_at(when);  // a wait still pending ends with operation_aborted
  timer_.async_wait([self = shared_from_this()](const std::error_code& error) { self->on_timer(error); });
}

void Stream::on_timer(const std::error_code& error) {
  if (error == asio::error::operation_aborted) return;  // re-armed: the newer wait is in charge
  timer_armed_ = false;
  if (deadline_ == Clock::time_point::max()) return;
  if (Clock::now() >= deadline_) {
    timed_out_ = true;
    std::error_code ignored;
    socket_.cancel(ignored);
    return;
  }
  arm(deadline_);
}

Stream::Want Stream::after_ssl_call(int result, const char* action) {
  const int code = SSL_get_error(ssl_.get(), result);
  switch (code) {
    case SSL_ERROR_WANT_READ:
      return Want::Read;
    case SSL_ERROR_WANT_WRITE:
      return Want::Write;
    case SSL_ERROR_ZERO_RETURN:
      failure_ = "the client closed the connection";
      return Want::Failed;
    case SSL_ERROR_SYSCALL: {
      const int saved = errno;
      broken_ = true;
      const std::string reason = ossl::drain_errors();
      if (!reason.empty()) {
        failure_ = std::string(action) + ": " + reason;
      } else {
        failure_ = saved == 0 ? std::string(action) + ": the client closed the connection"
                              : std::string(action) + ": " + std::strerror(saved);
      }
      return Want::Failed;
    }
    default:
      // A fatal TLS error: OpenSSL has already written its alert to the socket; what is left is to
      // close without losing it.
      broken_ = true;
      failure_ = std::string(action) + ": " + ossl::drain_errors();
      return Want::Failed;
  }
}

Stream::Want Stream::handshake_step() {
  if (!ssl_ || handshake_done_) return Want::Done;
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    handshake_done_ = true;
    return Want::Done;
  }
  return after_ssl_call(result, "TLS handshake");
}

asio::awaitable<bool> Stream::fill() {
  std::array<char, 16 * 1024> chunk;
  std::error_code error;
  const std::size_t count =
      co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, error));
  if (timed_out()) {
    failure_ = expired_ ? "the server is stopping" : "the deadline passed";
    co_return false;
  }
  if (error) {
    failure_ = error == asio::error::eof ? "the client closed the connection" : error.message();
    if (error != asio::error::eof) broken_ = true;
    co_return false;
  }
  if (BIO_write(incoming_, chunk.data(), static_cast<int>(count)) != static_cast<int>(count)) {
    failure_ = "buffering what the client sent: " + ossl::drain_errors();
    broken_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Stream::wait_for(Want want) {
  if (want == Want::Done) co_return true;
  if (want == Want::Failed || timed_out()) co_return false;
  if (want == Want::Read && ssl_) co_return co_await fill();
  std::error_code error;
  co_await socket_.async_wait(
      want == Want::Read ? asio::socket_base::wait_read : asio::socket_base::wait_write,
      asio::redirect_error(asio::use_awaitable, error));
  if (timed_out()) {
    failure_ = expired_ ? "the server is stopping" : "the deadline passed";
    co_return false;
  }
  if (error) {
    failure_ = error.message();
    broken_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::size_t> Stream::read_some(char* data, std::size_t size) {
  for (;;) {
    if (broken_ || timed_out()) co_return 0;
    Want want = Want::Read;
    if (ssl_) {
      ERR_clear_error();
      const int result = SSL_read(ssl_.get(), data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
      if (result > 0) co_return static_cast<std::size_t>(result);
      want = after_ssl_call(result, "reading the request");
    } else {
      std::error_code error;
      const std::size_t count = co_await socket_.async_read_some(
          asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
      if (timed_out()) co_return 0;
      if (!error) co_return count;
      failure_ = error == asio::error::eof ? "the client closed the connection" : error.message();
      if (error != asio::error::eof) broken_ = true;
      co_return 0;
    }
    if (!co_await wait_for(want)) co_return 0;
  }
}

asio::awaitable<bool> Stream::write_all(std::string_view bytes) {
  constexpr std::size_t kLargestWrite = 1024 * 1024;
  while (!bytes.empty()) {
    if (broken_ || timed_out()) co_return false;
    const std::size_t chunk = std::min(bytes.size(), kLargestWrite);
    Want want = Want::Write;
    if (ssl_) {
      ERR_clear_error();
      const int result = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(chunk));
      if (result > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(result));
        continue;
      }
      want = after_ssl_call(result, "writing the response");
    } else {
      std::error_code error;
      const std::size_t count = socket_.write_some(asio::buffer(bytes.data(), chunk), error);
      if (!error) {
        bytes.remove_prefix(count);
        continue;
      }
      if (error != asio::error::would_block && error != asio::error::try_again) {
        failure_ = error.message();
        broken_ = true;
        co_return false;
      }
    }
    if (!co_await wait_for(want)) co_return false;
  }
  co_return true;
}

asio::awaitable<void> Stream::close(const Linger& linger) {
  std::error_code ignored;
  if (timed_out()) {
    // A client that ran out its deadline (slowloris) gets no lingering: that would be more time.
    socket_.close(ignored);
    timer_.cancel();
    co_return;
  }
  if (ssl_ && handshake_done_ && !broken_) {
    // One close_notify; the client's own is not waited for (RFC 8446 §6.1 allows it).
    set_deadline(Clock::now() + linger.quiet);
    ERR_clear_error();
    int result = SSL_shutdown(ssl_.get());
    if (result < 0 && SSL_get_error(ssl_.get(), result) == SSL_ERROR_WANT_WRITE &&
        co_await wait_for(Want::Write)) {
      ERR_clear_error();
      result = SSL_shutdown(ssl_.get());
    }
    if (result < 0) ossl::drain_errors();
  }
  // Shut the write side so that the client reads everything up to here, then read what it still
  // sends: closing with unread bytes would send a reset, and the reset would destroy the last answer
  // (or the TLS alert) before the client reads it.
  socket_.shutdown(asio::socket_base::shutdown_send, ignored);
  const Clock::time_point end = Clock::now() + linger.total;
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (drained < linger.max_bytes) {
    set_deadline(std::min(Clock::now() + linger.quiet, end));
    std::error_code error;
    const std::size_t count = socket_.read_some(asio::buffer(sink), error);
    if (!error) {
      drained += count;
      continue;
    }
    if (error != asio::error::would_block && error != asio::error::try_again) break;
    if (!co_await wait_for(Want::Read)) break;
  }
  deadline_ = Clock::time_point::max();
  timer_.cancel();
  socket_.close(ignored);
}

}  // namespace krtool::server
