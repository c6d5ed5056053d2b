// DevServer on krtool's own connection layer: standalone Asio (Debian's libasio-dev) for the event
// loops, timers and sockets, OpenSSL on the socket itself, and http1::RequestParser for HTTP/1.1.
// nginx's model: a few event-loop threads (one per core by default) serve every connection, each
// connection stays on one loop, and work that may block (validation code, a proxy call, a CRL fetch)
// runs on a separate pool so that it never stalls a loop.
#include "krtool/server/dev_server.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include "krtool/error.hpp"
#include "krtool/tls/reloadable_context.hpp"
#include "server/connection.hpp"
#include "server/pipeline.hpp"

namespace krtool::server {
namespace {

// kStopGrace bounds how long stop() lets requests in flight finish before it closes them too.
constexpr std::chrono::seconds kStopGrace{10};
// kBlockingThreads serve the work that may block; a proxy call or a CRL fetch waits on the network,
// not the CPU, so there are more of them than cores.
constexpr std::size_t kBlockingThreads = 16;

// ignore_broken_pipes keeps a client that hangs up mid-answer from killing the process: OpenSSL writes
// to the socket with write(2), which raises SIGPIPE. Only the default action is replaced, so that an
// embedding program's own handler stays in place.
void ignore_broken_pipes() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
}

}  // namespace

class DevServer::Impl {
  struct Listener {
    asio::ip::tcp::acceptor acceptor;  // on the first loop
    bool https = false;
    int port = 0;
    std::string url;
  };

 public:
  explicit Impl(DevServerOptions options)
      : options_(std::move(options)),
        pipeline_(options_.routes, options_.schemes, options_.diagnostics, options_.policies) {
    if (!options_.log) options_.log = stderr_log();
    ignore_broken_pipes();
    if (options_.tls) {
      try {
        tls_.emplace(options_.tls);
      } catch (const Error& e) {
        throw Error(Errc::Input, fmt::format("cannot set up TLS: {}", e.what()), e.hint());
      }
    }
    const int threads = options_.limits.threads > 0
                            ? options_.limits.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>());
    shared_.options = &options_;
    shared_.pipeline = &pipeline_;
    shared_.offload = [this](std::function<void()> work) { return offload(std::move(work)); };
  }

  ~Impl() {
    stop();
    if (thread_.joinable()) thread_.join();
  }

  int bind() {
    using asio::ip::tcp;
    if (!listeners_.empty()) return listeners_.front().port;
    std::vector<Endpoint> endpoints = options_.endpoints;
    if (endpoints.empty())
      endpoints.push_back(Endpoint{options_.address, options_.port, options_.tls != nullptr});
    for (const Endpoint& endpoint : endpoints) {
      if (endpoint.https && !options_.tls) {
        throw Error(Errc::Usage,
                    fmt::format("cannot listen on {}: the server has no certificate", endpoint_url(endpoint)),
                    "give the server a certificate (--cert or --self-signed), or use an http:// URL");
      }
    }
    try {
      for (const Endpoint& endpoint : endpoints) {
        if (std::optional<Listener> listener = open_listener(endpoint))
          listeners_.push_back(std::move(*listener));
      }
    } catch (...) {
      listeners_.clear();
      throw;
    }
    return listeners_.front().port;
  }
  // open_listener opens one endpoint's socket; nothing for an endpoint that may be skipped on a machine
  // without its address family.
  std::optional<Listener> open_listener(const Endpoint& wanted) {
    using asio::ip::tcp;
    std::error_code error;
    const auto address = asio::ip::make_address(wanted.address, error);
    if (error) {
      throw Error(Errc::Usage, fmt::format("cannot listen on '{}': not an IP address", wanted.address),
                  "use an address such as 127.0.0.1 or ::1");
    }
    Listener listener{tcp::acceptor(loops_[0]->io), wanted.https, 0, {}};
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(wanted.port));
    listener.acceptor.open(endpoint.protocol(), error);
    if (!error) listener.acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) listener.acceptor.bind(endpoint, error);
    if (error && wanted.skip_if_unavailable &&
        (error == asio::error::address_family_not_supported || error == std::errc::address_not_available)) {
      return std::nullopt;
    }
    if (!error) listener.acceptor.listen(options_.limits.listen_backlog, error);
    if (error) {
      throw Error(Errc::Network,
                  fmt::format("cannot listen on {}: {}", endpoint_url(wanted), error.message()),
                  "is another server using the port? choose another with --port or --urls, or port 0 for a "
                  "free one");
    }
    listener.port = listener.acceptor.local_endpoint().port();
    listener.url = endpoint_url(Endpoint{wanted.address, listener.port, wanted.https});
    return listener;
  }

  // run serves until stop(). A stop() that came before it is carried out as soon as the loops run.
  void run() {
    bind();
    for (auto& loop : loops_) loop->guard.emplace(loop->io.get_executor());
    for (Listener& listener : listeners_)
      asio::co_spawn(loops_[0]->io, accept_loop(listener), asio::detached);
    {
      std::lock_guard<std::mutex> lock(state_mutex_);
      running_ = true;
    }
    if (stop_requested_) request_stop();
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < loops_.size(); ++i) {
      threads.emplace_back([loop = loops_[i].get()] { loop->io.run(); });
    }
    loops_[0]->io.run();
    for (auto& thread : threads) thread.join();
    if (blocking_) blocking_->join();
    std::lock_guard<std::mutex> lock(state_mutex_);
    running_ = false;
    acceptor_closed_.notify_all();
  }

  void start() {
    bind();
    thread_ = std::thread([this] { run(); });
  }

  // stop returns once the listening socket is closed (unless called from a handler, which cannot wait
  // for its own loop): a caller may bind the port again at once.
  void stop() {
    stop_requested_ = true;
    {
      std::lock_guard<std::mutex> lock(state_mutex_);
      if (!running_) return;
      request_stop();
    }
    for (const auto& loop : loops_) {
      if (loop->io.get_executor().running_in_this_thread()) return;
    }
    std::unique_lock<std::mutex> lock(state_mutex_);
    acceptor_closed_.wait_for(lock, std::chrono::seconds(5),
                              [this] { return listener_closed_ || !running_; });
  }

  void reload_tls(std::shared_ptr<const tls::TlsServerConfig> config) {
    if (!tls_) throw Error(Errc::Usage, "cannot reload TLS: the server speaks plain HTTP");
    tls_->replace(std::move(config));
  }

  int port() const { return listeners_.empty() ? 0 : listeners_.front().port; }
  std::string url() const { return listeners_.empty() ? std::string() : listeners_.front().url; }
  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (const Listener& listener : listeners_) out.push_back(listener.url);
    return out;
  }

 private:
  struct Loop {
    asio::io_context io{1};  // one thread runs it: Asio may leave out its locks
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::unordered_set<Connection*> connections;  // touched only on this loop's thread
  };

  std::shared_ptr<const tls::ReloadableContext::Live> current_tls() const {
    return tls_ ? tls_->current() : nullptr;
  }

  asio::awaitable<void> accept_loop(Listener& listener) {
    asio::steady_timer wait_for_slot(loops_[0]->io);
    while (listener.acceptor.is_open()) {
      // At the connection limit, stop accepting: the kernel's backlog holds the next clients, as
      // nginx's worker_connections does, instead of accepting and dropping them.
      while (active_ >= options_.limits.max_connections && !shared_.stopping) {
        wait_for_slot.expires_after(std::chrono::milliseconds(5));
        std::error_code ignored;
        co_await wait_for_slot.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      Loop& loop = *loops_[next_loop_];
      next_loop_ = (next_loop_ + 1) % loops_.size();  // every listener's loop runs on the first loop
      std::error_code error;
      asio::ip::tcp::socket socket =
          co_await listener.acceptor.async_accept(loop.io, asio::redirect_error(asio::use_awaitable, error));
      if (error) {
        if (shared_.stopping || error == asio::error::operation_aborted) break;
        continue;  // a client that went away before accept, or descriptors exhausted for a moment
      }
      ++active_;
      asio::co_spawn(loop.io, serve(loop, std::move(socket), listener.https), asio::detached);
    }
  }

  asio::awaitable<void> serve(Loop& loop, asio::ip::tcp::socket socket, bool https) {
    auto connection =
        std::make_shared<Connection>(shared_, std::move(socket), https ? current_tls() : nullptr);
    loop.connections.insert(connection.get());
    if (shared_.stopping) connection->stop();
    co_await connection->run();
    loop.connections.erase(connection.get());
    if (--active_ == 0 && shared_.stopping) release_loops();
  }

  // offload runs `work` on the blocking pool and resumes the caller on its own loop.
  asio::awaitable<void> offload(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(blocking_mutex_);
      if (!blocking_) blocking_.emplace(kBlockingThreads);
    }
    std::exception_ptr failure;
    co_await asio::co_spawn(
        blocking_->get_executor(),
        [&]() -> asio::awaitable<void> {
          try {
            work();
          } catch (...) {
            failure = std::current_exception();
          }
          co_return;
        },
        asio::use_awaitable);
    if (failure) std::rethrow_exception(failure);
  }

  // request_stop closes the listening socket, ends every connection that is not answering a request,
  // and lets the loops return when the last connection is gone (or kStopGrace has passed).
  void request_stop() {
    if (stop_started_.exchange(true)) return;
    asio::post(loops_[0]->io, [this] {
      shared_.stopping = true;
      std::error_code ignored;
      for (Listener& listener : listeners_) listener.acceptor.close(ignored);
      {
        std::lock_guard<std::mutex> lock(state_mutex_);
        listener_closed_ = true;
      }
      acceptor_closed_.notify_all();
      for (auto& loop : loops_) {
        asio::post(loop->io, [loop = loop.get()] {
          for (Connection* connection : loop->connections) connection->stop();
        });
      }
      if (active_ == 0) release_loops();
      grace_timer_.emplace(loops_[0]->io, kStopGrace);
      grace_timer_->async_wait([this](const std::error_code& error) {
        if (!error) force_stop();
      });
    });
  }

  void release_loops() {
    for (auto& loop : loops_) {
      asio::post(loop->io, [loop = loop.get()] { loop->guard.reset(); });
    }
    asio::post(loops_[0]->io, [this] {
      if (grace_timer_) grace_timer_->cancel();
    });
  }

  void force_stop() {
    for (auto& loop : loops_) loop->io.stop();
  }

  DevServerOptions options_;
  RequestPipeline pipeline_;
  ConnectionShared shared_;
  std::optional<tls::ReloadableContext> tls_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<Listener> listeners_;
  std::size_t next_loop_ = 0;
  std::optional<asio::steady_timer> grace_timer_;
  std::mutex blocking_mutex_;
  std::optional<asio::thread_pool> blocking_;
  std::atomic<int> active_{0};
  std::thread thread_;
  std::mutex state_mutex_;
  std::condition_variable acceptor_closed_;
  bool running_ = false;
  bool listener_closed_ = false;
  std::atomic<bool> stop_requested_{false}, stop_started_{false};
};

DevServer::DevServer(DevServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
DevServer::~DevServer() = default;
int DevServer::bind() { return impl_->bind(); }
void DevServer::run() { impl_->run(); }
void DevServer::start() { impl_->start(); }
void DevServer::stop() { impl_->stop(); }
void DevServer::reload_tls(std::shared_ptr<const tls::TlsServerConfig> tls) {
  impl_->reload_tls(std::move(tls));
}
int DevServer::port() const { return impl_->port(); }
std::string DevServer::url() const { return impl_->url(); }
std::vector<std::string> DevServer::urls() const { return impl_->urls(); }

}  // namespace krtool::server
