// A server connection's byte stream: a TCP socket on an Asio event loop, with non-blocking OpenSSL, or
// plain. OpenSSL writes records to the socket itself; what the client sends is read by Asio into a
// memory BIO that OpenSSL reads from (see the constructor for why). The SSL_CTX and verdict code of tls/
// stay as they are.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "krtool/ossl.hpp"

namespace krtool::server {

// Linger bounds the drain after the write side is shut (nginx's lingering close): read and discard
// until the client closes, `quiet` passes without data, `total` passes, or `max_bytes` were read.
struct Linger {
  std::chrono::milliseconds quiet{2000};
  std::chrono::milliseconds total{5000};
  std::size_t max_bytes = 1024 * 1024;
};

// Stream is made with std::make_shared: its deadline timer's handler holds it alive.
class Stream : public std::enable_shared_from_this<Stream> {
 public:
  using Clock = std::chrono::steady_clock;

  // `ssl` null: plain HTTP. The socket is made non-blocking here.
  Stream(asio::ip::tcp::socket socket, ossl::UniquePtr<SSL> ssl);

  // set_deadline bounds everything from now on, until the next call: when it passes, the pending wait
  // and every later one fail, and timed_out() is true. One timer per connection, re-armed only when a
  // deadline comes earlier than the one it waits for, so a keep-alive request costs no timer call.
  void set_deadline(Clock::time_point when);
  // expire ends every wait now and for good (the server is stopping); set_deadline does not undo it.
  void expire();
  bool timed_out() const { return timed_out_ || expired_; }

  // handshake_step makes one SSL_do_handshake call and says what it needs next. The connection calls
  // it on the loop, or on a thread that may block when validation code runs inside it, and waits for
  // the socket with wait_for().
  enum class Want { Done, Read, Write, Failed };
  Want handshake_step();
  asio::awaitable<bool> wait_for(Want want);

  // read_some reads what is there (waiting when nothing is); 0 when the peer closed, the connection
  // broke or the wait was cancelled.
  asio::awaitable<std::size_t> read_some(char* data, std::size_t size);
  // write_all writes every byte; false when the connection broke or the wait was cancelled.
  asio::awaitable<bool> write_all(std::string_view bytes);
  // close ends the connection without losing what was written last: TLS close_notify (unless the
  // handshake failed, when OpenSSL already queued its alert), flush, shut the write side, drain what
  // the client still sends (bounded by `linger`), close.
  asio::awaitable<void> close(const Linger& linger);

  bool is_open() const { return socket_.is_open(); }

  SSL* ssl() const { return ssl_.get(); }
  asio::ip::tcp::socket& socket() { return socket_; }
  // failure is the reason the last operation failed ("" when none): OpenSSL's reason, or the socket's.
  const std::string& failure() const { return failure_; }
  bool handshake_done() const { return handshake_done_; }

 private:
  // after_ssl_call turns SSL_get_error's answer into what to wait for, recording a failure.
  Want after_ssl_call(int result, const char* action);
  void arm(Clock::time_point when);
  // fill reads what the socket has (waiting when it has nothing) into OpenSSL's incoming BIO.
  asio::awaitable<bool> fill();
  void on_timer(const std::error_code& error);

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_expiry_ = Clock::time_point::max();
  bool timer_armed_ = false;
  bool timed_out_ = false;
  bool expired_ = false;
  ossl::UniquePtr<SSL> ssl_;
  BIO* incoming_ = nullptr;  // owned by ssl_
  std::string failure_;
  bool handshake_done_ = false;
  bool broken_ = false;  // a fatal TLS error or a reset: no close_notify, no more I/O but the drain
};

}  // namespace krtool::server
