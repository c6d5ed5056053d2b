#include "server/connection.hpp"

#include <fmt/format.h>

#include <asio/this_coro.hpp>
#include <cstdio>
#include <exception>
#include <utility>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "server/access_log.hpp"
#include "server/response_json.hpp"

namespace krtool::server {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

std::string bracketed(const asio::ip::address& address) {
  return address.is_v6() ? fmt::format("[{}]", address.to_string()) : address.to_string();
}

// call_logger hands a line to the embedder's log; a log that throws costs that line, not the process.
void call_logger(const DevServerOptions& options, const std::string& line) {
  try {
    options.log(line);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "krtool: the access log failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "krtool: the access log failed\n");
  }
}

}  // namespace

Connection::Connection(const ConnectionShared& shared, asio::ip::tcp::socket socket,
                       std::shared_ptr<const tls::ReloadableContext::Live> tls)
    : shared_(shared), tls_(std::move(tls)) {
  std::error_code error;
  const auto peer = socket.remote_endpoint(error);
  if (!error) {
    remote_address_ = peer.address().to_string();
    remote_ = fmt::format("{}:{}", bracketed(peer.address()), peer.port());
  } else {
    remote_address_ = remote_ = "-";
  }
  ossl::UniquePtr<SSL> ssl;
  if (tls_) {
    handshake_may_block_ = tls_->config->handshake_may_block();
    ssl.reset(SSL_new(tls_->ctx.get()));
    if (ssl == nullptr) ossl::drain_errors();  // the handshake below fails and closes the connection
  }
  stream_ = std::make_shared<Stream>(std::move(socket), std::move(ssl));
}

void Connection::set_phase(Phase phase, std::chrono::seconds limit) {
  phase_ = phase;
  stream_->set_deadline(std::chrono::steady_clock::now() + limit);
}

void Connection::stop() {
  keep_alive_ = false;
  // A request being answered finishes (its answer says Connection: close); anything else ends now.
  if (phase_ != Phase::Handling && phase_ != Phase::Writing && phase_ != Phase::Closing) stream_->expire();
}

asio::awaitable<void> Connection::run() {
  const auto self = shared_from_this();  // alive until the last step, whoever else lets go
  try {
    if (co_await handshake()) co_await serve_requests();
    phase_ = Phase::Closing;
    co_await stream_->close(shared_.linger);
  } catch (const std::exception& e) {
    call_logger(*shared_.options, fmt::format("connection from {} failed: {}", remote_, e.what()));
  }
}

asio::awaitable<bool> Connection::handshake() {
  const ServerLimits& limits = shared_.options->limits;
  if (!tls_) co_return true;
  set_phase(Phase::Handshake, limits.handshake_timeout);
  if (stream_->ssl() == nullptr) co_return false;
  for (;;) {
    Stream::Want want = Stream::Want::Failed;
    if (handshake_may_block_) {
      // Validation code runs inside SSL_do_handshake: the call goes to a thread of its own, and the
      // connection comes back to its loop to wait for the socket.
      co_await shared_.offload([&] { want = stream_->handshake_step(); });
    } else {
      want = stream_->handshake_step();
    }
    if (want == Stream::Want::Done) co_return true;
    if (!co_await stream_->wait_for(want)) break;
  }
  // A verdict's rejection was logged by the TLS layer, and a deadline is logged here; a client that
  // went away or spoke something else (a port scan, plain HTTP) ends silently, as in nginx.
  if (stream_->timed_out() && !shared_.stopping) log_handshake_timeout();
  co_return false;
}

void Connection::log_handshake_timeout() const {
  call_logger(*shared_.options,
              fmt::format("closed the connection from {}: the TLS handshake did not finish within {} s",
                          remote_, shared_.options->limits.handshake_timeout.count()));
}

asio::awaitable<void> Connection::serve_requests() {
  const ServerLimits& limits = shared_.options->limits;
  http1::RequestParser parser(shared_.request_limits);
  buffer_.resize(kReadChunk);
  // The first request may take the read timeout to arrive; later ones the keep-alive timeout.
  set_phase(Phase::Idle, limits.read_timeout);
  while (keep_alive_) {
    if (!co_await read_request(parser)) {
      if (stream_->timed_out() && !shared_.stopping && phase_ != Phase::Idle) co_await answer_timeout();
      co_return;
    }
    if (parser.state() == http1::RequestParser::State::Failed) {
      co_await answer_failure(parser);
      co_return;
    }
    const http1::Request request = parser.take();
    if (!co_await answer(request)) co_return;
    set_phase(Phase::Idle, limits.keep_alive_timeout);
  }
}

asio::awaitable<bool> Connection::read_request(http1::RequestParser& parser) {
  using State = http1::RequestParser::State;
  const ServerLimits& limits = shared_.options->limits;
  for (;;) {
    if (pending_begin_ < pending_end_) {
      const State before = parser.state();
      const std::size_t used =
          parser.feed(std::string_view(buffer_.data() + pending_begin_, pending_end_ - pending_begin_));
      pending_begin_ += used;
      const State after = parser.state();
      if (before == State::Idle && after != State::Idle) {
        request_started_ = std::chrono::steady_clock::now();
        set_phase(Phase::Head, limits.read_timeout);  // the whole head, not each read
      }
      if (after == State::Complete || after == State::Failed) co_return true;
      if (after == State::Body && phase_ != Phase::Body) {
        set_phase(Phase::Body, limits.read_timeout);  // the whole body
        if (parser.head().expects_continue && !co_await stream_->write_all("HTTP/1.1 100 Continue\r\n\r\n")) {
          co_return false;
        }
      }
      // The parser stops before the end of the bytes only at a request's end, handled above.
    }
    pending_begin_ = pending_end_ = 0;
    const std::size_t count = co_await stream_->read_some(buffer_.data(), buffer_.size());
    if (count == 0) co_return false;
    pending_end_ = count;
  }
}

asio::awaitable<bool> Connection::answer(const http1::Request& request) {
  const ServerLimits& limits = shared_.options->limits;
  phase_ = Phase::Handling;
  RequestView view;
  view.method = request.method;
  view.path = request.path;
  view.target = request.target;
  view.remote_address = remote_address_;
  view.headers = request.headers;
  view.body = request.body;
  STACK_OF(X509)* chain = nullptr;
  if (SSL* ssl = stream_->ssl()) {
    view.certificate = SSL_get0_peer_certificate(ssl);
    chain = SSL_get_peer_cert_chain(ssl);
    view.chain = chain;
    if (view.certificate != nullptr) view.chain_error = tls::chain_error(ssl);
    view.tls_protocol = SSL_get_version(ssl);
  }
  PipelineOutcome outcome;
  if (shared_.pipeline->may_block(request.method, request.path)) {
    co_await shared_.offload([&] { outcome = shared_.pipeline->handle(view, chain, &auth_memo_); });
  } else {
    outcome = shared_.pipeline->handle(view, chain, &auth_memo_);
  }

  ++requests_served_;
  keep_alive_ = keep_alive_ && request.keep_alive && !shared_.stopping &&
                requests_served_ < limits.keep_alive_max_requests;
  http1::Response response;
  response.status = outcome.response.status;
  response.headers = std::move(outcome.response.headers);
  if (!outcome.response.content_type.empty()) {
    response.headers.emplace_back("Content-Type", outcome.response.content_type);
  }
  response.body = std::move(outcome.response.body);
  const std::string bytes = http1::serialize_response(response, keep_alive_, request.method == "HEAD");

  set_phase(Phase::Writing, limits.write_timeout);
  const bool written = co_await stream_->write_all(bytes);
  log_access(request.method, request.path, written ? response.status : 0, outcome.auth_verdict);
  co_return written;
}

asio::awaitable<void> Connection::answer_failure(const http1::RequestParser& parser) {
  const http1::RequestError& failure = parser.error();
  keep_alive_ = false;
  HandlerResponse error = detail::error_response(failure.status, failure.reason);
  http1::Response response;
  response.status = error.status;
  response.headers.emplace_back("Content-Type", error.content_type);
  response.body = std::move(error.body);
  set_phase(Phase::Writing, shared_.options->limits.write_timeout);
  co_await stream_->write_all(http1::serialize_response(response, false, false));
  log_access("-", "-", failure.status, "-");
}

// answer_timeout tells a client whose request did not arrive in time (Kestrel's 408), with a short
// deadline of its own, then the connection ends without lingering: a slow client gets no more time.
asio::awaitable<void> Connection::answer_timeout() {
  const std::chrono::seconds limit = shared_.options->limits.read_timeout;
  const char* what = phase_ == Phase::Body ? "the request body" : "the request head";
  HandlerResponse error =
      detail::error_response(408, fmt::format("{} did not arrive within {} s", what, limit.count()));
  http1::Response response;
  response.status = error.status;
  response.headers.emplace_back("Content-Type", error.content_type);
  response.body = std::move(error.body);
  phase_ = Phase::Writing;
  stream_->set_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  co_await stream_->write_all(http1::serialize_response(response, false, false));
  log_access("-", "-", 408, "-");
  stream_->expire();
}

void Connection::log_access(const std::string& method, const std::string& path, int status,
                            const std::string& auth_verdict) {
  AccessRecord record;
  record.method = method;
  record.path = path;
  record.remote = remote_;
  record.status = status;
  record.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_started_).count();
  record.auth_verdict = auth_verdict;
  record.protocol = "HTTP";
  record.tls_verdict = "-";
  if (SSL* ssl = stream_->ssl()) {
    // What the handshake settled is the same for every request of the connection: worked out once.
    if (!peer_described_) {
      if (X509* peer = SSL_get0_peer_certificate(ssl)) client_ = cert::identity(peer);
      tls_verdict_ = tls::access_log_verdict(ssl);
      peer_described_ = true;
    }
    record.protocol = SSL_get_version(ssl);
    record.client = client_;
    record.tls_verdict = tls_verdict_;
  }
  call_logger(*shared_.options, format_access_line(record, shared_.options->log_format));
}

}  // namespace krtool::server
