// One client connection of the development server, from accept to close: the TLS handshake, then
// HTTP/1.1 requests in order (keep-alive and pipelining) through the request pipeline, each phase with
// a deadline for the whole phase, and a close that delivers the last answer or alert.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "krtool/cert/identity.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/tls/reloadable_context.hpp"
#include "server/http1_request.hpp"
#include "server/pipeline.hpp"
#include "server/stream.hpp"

namespace krtool::server {

// ConnectionShared is what every connection reads; it outlives them all.
struct ConnectionShared {
  const DevServerOptions* options = nullptr;
  const RequestPipeline* pipeline = nullptr;
  http1::RequestLimits request_limits;
  Linger linger;
  // offload runs work that may block (validation code, a proxy call) on a thread of its own and
  // resumes the caller on its event loop.
  std::function<asio::awaitable<void>(std::function<void()>)> offload;
  std::atomic<bool> stopping{false};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Phase { Handshake, Idle, Head, Body, Handling, Writing, Closing };

  // `tls` is the TLS layer current when the connection was accepted (null: plain HTTP); the
  // connection keeps it to its end, whatever a reload makes current.
  Connection(const ConnectionShared& shared, asio::ip::tcp::socket socket,
             std::shared_ptr<const tls::ReloadableContext::Live> tls);
  // run serves the connection to its end; it never throws.
  asio::awaitable<void> run();
  // stop asks the connection to end: at once when no request is being answered, else after the answer.
  // Call it on the connection's event loop.
  void stop();

 private:
  asio::awaitable<bool> handshake();
  asio::awaitable<void> serve_requests();
  // read_request fills the parser up to one whole request (or a failure); false when the connection
  // ended or its deadline passed first.
  asio::awaitable<bool> read_request(http1::RequestParser& parser);
  asio::awaitable<bool> answer(const http1::Request& request);
  asio::awaitable<void> answer_failure(const http1::RequestParser& parser);
  asio::awaitable<void> answer_timeout();
  void log_access(const std::string& method, const std::string& path, int status,
                  const std::string& auth_verdict);
  void log_handshake_timeout() const;
  void set_phase(Phase phase, std::chrono::seconds limit);

  const ConnectionShared& shared_;
  std::shared_ptr<const tls::ReloadableContext::Live> tls_;
  bool handshake_may_block_ = false;  // validation code runs inside the handshake
  std::shared_ptr<Stream> stream_;
  std::string remote_;          // "127.0.0.1:50432", "[::1]:50432"
  std::string remote_address_;  // "127.0.0.1"
  Phase phase_ = Phase::Handshake;
  std::chrono::steady_clock::time_point request_started_;
  bool keep_alive_ = true;
  int requests_served_ = 0;
  AuthMemo auth_memo_;
  bool peer_described_ = false;
  std::optional<cert::Identity> client_;
  std::string tls_verdict_;
  // buffer_[pending_begin_, pending_end_) was read but not parsed yet: the next pipelined request.
  std::string buffer_;
  std::size_t pending_begin_ = 0, pending_end_ = 0;
};

}  // namespace krtool::server
