// DevServer on cpp-httplib 0.11.4 as Debian ships it. This file (with httplib_task_queue.hpp) is the
// only place that knows the library; it fixes the defaults that make the library unfit for an mTLS
// dev server:
// - TCP_NODELAY: without it, a response written as two TLS records stalls ~40 ms on Nagle's algorithm
//   and the client's delayed ACK, capping a keep-alive connection near 25 requests/s;
// - a keep-alive limit of 100 000 requests instead of 5;
// - a task queue that grows with the connections (GrowingTaskQueue) instead of a fixed pool of 8;
// - a listen backlog of limits.listen_backlog instead of the hard-coded 5 (re-listening on a bound
//   socket only resizes its queue), so bursts of connections are not dropped into SYN retries;
// - handlers reach the peer certificate through req.ssl, which the pipeline turns into a RequestView.
#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/server/dev_server.hpp"
#include "server/access_log.hpp"
#include "server/httplib_task_queue.hpp"
#include "server/pipeline.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

// Exposed gives access to the listening socket, which the library keeps protected.
template <typename Base>
class Exposed : public Base {
 public:
  using Base::Base;
  int listening_socket() const { return this->svr_sock_; }
};

using PlainServer = Exposed<httplib::Server>;
using TlsServer = Exposed<httplib::SSLServer>;

// What the request handler learned, for the logger that runs after it on the same thread (the library
// serves one connection's requests in order on one thread). The logger takes the notes and leaves them
// empty: an answer the library sends before routing (400, 414) finds no notes, never the previous
// request's.
struct RequestNotes {
  std::optional<std::chrono::steady_clock::time_point> start;  // set when routing began
  std::string auth_verdict = "-";
};
thread_local RequestNotes t_notes;

// is_httplib_annotation tells the entries cpp-httplib adds to a request's headers (REMOTE_ADDR,
// REMOTE_PORT, LOCAL_ADDR, LOCAL_PORT) from the ones the client sent: handlers see (and a proxy
// forwards) only the client's, and a client's own header of that name is not mistaken for the address.
bool is_httplib_annotation(const std::string& name) {
  for (const char* annotation : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
    if (util::equals_ignoring_case(name, annotation)) return true;
  }
  return false;
}

std::string host_for_url(const std::string& address) {
  return address.find(':') != std::string::npos ? fmt::format("[{}]", address) : address;
}

}  // namespace

class DevServer::Impl {
 public:
  explicit Impl(DevServerOptions options)
      : options_(std::move(options)), pipeline_(options_.routes, options_.schemes, options_.diagnostics) {
    if (!options_.log) options_.log = stderr_log();
    if (options_.tls) {
      std::string failure;
      auto tls_server = std::make_unique<TlsServer>([this, &failure](SSL_CTX& ctx) {
        try {
          options_.tls->configure(&ctx);
          return true;
        } catch (const std::exception& e) {
          failure = e.what();
          return false;
        }
      });
      if (!tls_server->is_valid()) {
        throw Error(Errc::Input,
                    fmt::format("cannot set up TLS: {}", failure.empty() ? ossl::drain_errors() : failure));
      }
      listening_socket_ = [server = tls_server.get()] { return server->listening_socket(); };
      server_ = std::move(tls_server);
    } else {
      auto plain = std::make_unique<PlainServer>();
      listening_socket_ = [server = plain.get()] { return server->listening_socket(); };
      server_ = std::move(plain);
    }
    configure_limits();
    install_handlers();
  }

  ~Impl() {
    stop();
    if (thread_.joinable()) thread_.join();
  }

  int bind() {
    const int port = options_.port == 0
                         ? server_->bind_to_any_port(options_.address)
                         : (server_->bind_to_port(options_.address, options_.port) ? options_.port : -1);
    if (port <= 0) {
      throw Error(Errc::Network, fmt::format("cannot listen on {}:{}", options_.address, options_.port),
                  "is another server using the port? choose another with --port, or --port 0 for a free one");
    }
    ::listen(listening_socket_(), options_.limits.listen_backlog);
    port_ = port;
    return port;
  }

  // run serves until stop(). A stop() that came before it is carried out as soon as the loop runs.
  void run() {
    run_entered_ = true;
    std::thread early_stop;
    if (stop_requested_) early_stop = std::thread([this] { stop_when_running(); });
    server_->listen_after_bind();
    run_returned_ = true;
    if (early_stop.joinable()) early_stop.join();
  }

  void start() {
    bind();
    thread_ = std::thread([this] { run(); });
  }

  // stop works at any moment after bind(), with the library's own stop() only: the library owns the
  // listening socket and closes it, so no other code may touch that descriptor (its number may already
  // belong to another connection). The library's stop() does nothing until its accept loop runs, so a
  // stop that comes earlier (a signal just after the listening line) is remembered: run() has not begun
  // (it will carry the stop out), or it has (stop waits for the loop).
  void stop() {
    if (!server_) return;
    stop_requested_ = true;
    if (run_entered_) stop_when_running();
  }

  int port() const { return port_; }
  std::string url() const {
    return fmt::format("{}://{}:{}", options_.tls ? "https" : "http", host_for_url(options_.address), port_);
  }

 private:
  // stop_when_running waits (at most 5 s) for the library's accept loop, then stops it, once: the
  // library asserts that its socket is still open, and a second stop() (the destructor after a signal)
  // may come while the first one's requests in flight are finishing.
  void stop_when_running() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_->is_running() && !run_returned_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (server_->is_running() && !library_stopped_.exchange(true)) server_->stop();
  }

  void configure_limits() {
    const ServerLimits& limits = options_.limits;
    server_->set_tcp_nodelay(true);
    server_->set_keep_alive_max_count(static_cast<size_t>(limits.keep_alive_max_requests));
    server_->set_keep_alive_timeout(limits.keep_alive_timeout.count());
    // The library has one read timeout, for the TLS handshake and for the request alike: it gets the
    // shorter of the two, so that neither wait is ever longer than asked.
    server_->set_read_timeout(std::min(limits.handshake_timeout, limits.read_timeout).count(), 0);
    server_->set_write_timeout(limits.write_timeout.count(), 0);
    server_->set_payload_max_length(8 * 1024 * 1024);
    const size_t max_threads = static_cast<size_t>(limits.max_connections);
    server_->new_task_queue = [max_threads] { return new GrowingTaskQueue(max_threads); };
  }

  void install_handlers() {
    server_->set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      t_notes = RequestNotes{std::chrono::steady_clock::now(), "-"};
      return httplib::Server::HandlerResponse::Unhandled;
    });
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); };
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    server_->Put(".*", handler);
    server_->Patch(".*", handler);
    server_->Delete(".*", handler);
    server_->Options(".*", handler);
    server_->set_logger(
        [this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });
  }

  void serve(const httplib::Request& req, httplib::Response& res) {
    RequestView view;
    view.method = req.method;
    view.path = req.path;
    view.target = req.target;
    view.remote_address = req.remote_addr;
    view.body = req.body;
    for (const auto& [name, value] : req.headers) {
      if (!is_httplib_annotation(name)) view.headers.emplace_back(name, value);
    }
    STACK_OF(X509)* chain = nullptr;
    if (req.ssl != nullptr) {
      view.certificate = SSL_get0_peer_certificate(req.ssl);
      chain = SSL_get_peer_cert_chain(req.ssl);
      view.tls_protocol = SSL_get_version(req.ssl);
    }
    PipelineOutcome outcome = pipeline_.handle(view, chain);
    t_notes.auth_verdict = outcome.auth_verdict;
    res.status = outcome.response.status;
    for (const auto& [name, value] : outcome.response.headers) res.set_header(name, value);
    if (!outcome.response.content_type.empty()) {
      res.set_content(outcome.response.body, outcome.response.content_type.c_str());
    } else if (!outcome.response.body.empty()) {
      res.body = outcome.response.body;  // a proxied answer without a Content-Type keeps having none
    }
  }

  void log_request(const httplib::Request& req, const httplib::Response& res) {
    const RequestNotes notes = std::exchange(t_notes, RequestNotes{});
    AccessRecord record;
    // A request refused before routing may have no method or path, as it has no peer yet.
    record.method = req.method.empty() ? "-" : req.method;
    record.path = req.path.empty() ? "-" : req.path;
    // (The library records the peer only once the request was read: its port is -1 before.)
    record.remote =
        req.remote_port < 0 ? "-" : fmt::format("{}:{}", host_for_url(req.remote_addr), req.remote_port);
    record.status = res.status;
    record.duration_ms =
        notes.start
            ? std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *notes.start)
                  .count()
            : 0.0;
    record.auth_verdict = notes.auth_verdict;
    record.protocol = notes.start || !options_.tls ? "HTTP" : "-";
    record.tls_verdict = "-";
    if (req.ssl != nullptr) {
      record.protocol = SSL_get_version(req.ssl);
      if (X509* peer = SSL_get0_peer_certificate(req.ssl)) {
        record.client_subject = cert::format_dn(X509_get_subject_name(peer));
        record.client_thumbprint = cert::thumbprint(peer);
      }
      record.tls_verdict = tls::access_log_verdict(req.ssl);
    }
    // The library calls this from its connection thread with no handler around it: a log sink that
    // throws must cost this line, not the process.
    try {
      options_.log(format_access_line(record, options_.log_format));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "krtool: the access log failed: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "krtool: the access log failed\n");
    }
  }

  DevServerOptions options_;
  RequestPipeline pipeline_;
  std::unique_ptr<httplib::Server> server_;
  std::function<int()> listening_socket_;
  std::thread thread_;
  std::atomic<int> port_{0};
  // Sequentially consistent, so that stop() and run() cannot both miss each other.
  std::atomic<bool> stop_requested_{false}, run_entered_{false}, run_returned_{false};
  std::atomic<bool> library_stopped_{false};
};

DevServer::DevServer(DevServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
DevServer::~DevServer() = default;
int DevServer::bind() { return impl_->bind(); }
void DevServer::run() { impl_->run(); }
void DevServer::start() { impl_->start(); }
void DevServer::stop() { impl_->stop(); }
void DevServer::reload_tls(std::shared_ptr<const tls::TlsServerConfig>) {
  // cpp-httplib makes its SSL_CTX once, inside the server; the connection layer that replaces it takes
  // a tls::ReloadableContext.
  throw Error(Errc::Internal, "reload needs the new connection layer");
}
int DevServer::port() const { return impl_->port(); }
std::string DevServer::url() const { return impl_->url(); }

}  // namespace krtool::server
