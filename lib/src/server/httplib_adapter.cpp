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
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/server/dev_server.hpp"
#include "server/access_log.hpp"
#include "server/httplib_task_queue.hpp"
#include "server/pipeline.hpp"

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
// serves one connection's requests in order on one thread).
struct RequestNotes {
  std::chrono::steady_clock::time_point start;
  std::string auth_verdict = "-";
};
thread_local RequestNotes t_notes;

// is_httplib_annotation tells the entries cpp-httplib adds to a request's headers (REMOTE_ADDR,
// REMOTE_PORT, LOCAL_ADDR, LOCAL_PORT) from the ones the client sent: handlers see (and a proxy
// forwards) only the client's, and a client's own header of that name is not mistaken for the address.
bool is_httplib_annotation(const std::string& name) {
  for (const char* annotation : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
    if (strcasecmp(name.c_str(), annotation) == 0) return true;
  }
  return false;
}

std::string host_for_url(const std::string& address) {
  return address.find(':') != std::string::npos ? fmt::format("[{}]", address) : address;
}

}  // namespace

std::function<void(const std::string& line)> stderr_log() {
  return [](const std::string& line) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    std::cerr << line << std::endl;
  };
}

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

  void run() { server_->listen_after_bind(); }

  void start() {
    bind();
    thread_ = std::thread([this] { run(); });
  }

  // stop works at any moment after bind(): the library's own stop() does nothing until its accept loop
  // runs, so a signal that arrives just after the listening line would be lost. Shutting the listening
  // socket down makes the accept loop end as soon as it starts (or at once, when it is running).
  void stop() {
    if (!server_) return;
    const int socket = listening_socket_();
    if (socket >= 0) ::shutdown(socket, SHUT_RDWR);
    server_->stop();
  }

  int port() const { return port_; }
  std::string url() const {
    return fmt::format("{}://{}:{}", options_.tls ? "https" : "http", host_for_url(options_.address), port_);
  }

 private:
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
      t_notes.start = std::chrono::steady_clock::now();
      t_notes.auth_verdict = "-";
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
    AccessRecord record;
    record.method = req.method;
    record.path = req.path;
    record.remote = fmt::format("{}:{}", host_for_url(req.remote_addr), req.remote_port);
    record.status = res.status;
    record.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_notes.start).count();
    record.auth_verdict = t_notes.auth_verdict;
    record.protocol = "HTTP";
    record.tls_verdict = "-";
    if (req.ssl != nullptr) {
      record.protocol = SSL_get_version(req.ssl);
      if (X509* peer = SSL_get0_peer_certificate(req.ssl)) {
        record.client_subject = cert::format_dn(X509_get_subject_name(peer));
        record.client_thumbprint = cert::thumbprint(peer);
      }
      const tls::HandshakeVerdict* verdict = tls::handshake_verdict(req.ssl);
      if (verdict != nullptr) {
        record.tls_verdict = verdict->summary();
      } else if (SSL_session_reused(const_cast<SSL*>(req.ssl)) == 1) {
        record.tls_verdict = record.client_subject.empty() ? "resumed, no certificate" : "resumed";
      } else {
        record.tls_verdict = record.client_subject.empty() ? "no certificate" : "not checked";
      }
    }
    options_.log(format_access_line(record, options_.log_format));
  }

  DevServerOptions options_;
  RequestPipeline pipeline_;
  std::unique_ptr<httplib::Server> server_;
  std::function<int()> listening_socket_;
  std::thread thread_;
  std::atomic<int> port_{0};
};

DevServer::DevServer(DevServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
DevServer::~DevServer() = default;
int DevServer::bind() { return impl_->bind(); }
void DevServer::run() { impl_->run(); }
void DevServer::start() { impl_->start(); }
void DevServer::stop() { impl_->stop(); }
int DevServer::port() const { return impl_->port(); }
std::string DevServer::url() const { return impl_->url(); }

}  // namespace krtool::server
