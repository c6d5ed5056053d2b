// DevServer is krtool's development HTTPS server, usable from C++ as well as through `krtool serve`:
// TLS with a client-certificate mode and policy, certificate authentication per route, and an access
// log that shows what each layer decided. How it reads HTTP is an implementation detail.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "krtool/auth/authorization_policy.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/server/routes.hpp"
#include "krtool/server/urls.hpp"
#include "krtool/tls/server_context.hpp"

namespace krtool::server {

enum class LogFormat { Text, Json };

// ServerLimits keep idle, slow or hostile clients from starving others. Every timeout bounds a whole
// phase, not one read: a client that sends a byte at a time is cut off all the same.
struct ServerLimits {
  int max_connections = 512;  // open at once; past it the kernel's backlog waits
  int threads = 0;            // event-loop threads serving every connection; 0 = one per core
  std::chrono::seconds handshake_timeout{10};  // from accept to the end of the TLS handshake
  std::chrono::seconds read_timeout{30};       // for a request's line and headers, then for its body
  std::chrono::seconds keep_alive_timeout{5};  // an idle keep-alive connection is closed after this
  std::chrono::seconds write_timeout{10};      // for writing one response
  int keep_alive_max_requests = 100000;        // requests per connection before it is closed
  int listen_backlog = 1024;                   // pending connections the kernel holds in a burst
};

struct DevServerOptions {
  std::string address = "127.0.0.1";
  int port = 5000;                                  // 0 picks a free port
  std::shared_ptr<const tls::TlsServerConfig> tls;  // null: plain HTTP
  // endpoints, when given, replace address and port: one listening socket each (Kestrel's URL list,
  // urls.hpp). An https endpoint needs `tls`; an http one speaks plain HTTP beside it.
  std::vector<Endpoint> endpoints;
  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes;
  std::vector<std::shared_ptr<const auth::AuthorizationPolicy>> policies;  // the routes' policy= names
  std::vector<Route> routes;
  ServerLimits limits;
  LogFormat log_format = LogFormat::Text;
  bool diagnostics = false;  // add Krtool-Auth-Failure to 401/403 answers
  // log receives access-log lines and TLS rejections; default: standard error. Called from many threads.
  std::function<void(const std::string& line)> log;
};

// stderr_log writes whole lines to standard error through stderr_writer() (log_writer.hpp): buffered,
// written at least every 100 ms and at exit, never cut by another line.
std::function<void(const std::string& line)> stderr_log();

class DevServer {
 public:
  // The constructor checks the configuration (every route's scheme is registered: Kestrun's
  // "Authentication scheme 'X' is not registered."; every policy= is defined) and throws Error(Usage)
  // otherwise.
  explicit DevServer(DevServerOptions options);
  ~DevServer();  // stops and joins
  DevServer(const DevServer&) = delete;
  DevServer& operator=(const DevServer&) = delete;

  // bind opens the listening sockets and returns the first one's port (the real one for port 0);
  // Error(Network) when an address cannot be bound.
  int bind();
  // run serves until stop(); in-flight requests finish before it returns.
  void run();
  // start binds and runs on a background thread; for tests and embedding.
  void start();
  void stop();
  // reload_tls gives new connections `tls` (a new server certificate, trusted CAs, CRLs); connections
  // already open keep what they started with. Error, keeping the old configuration, when `tls` cannot
  // make a context; Error(Usage) on a plain HTTP server.
  void reload_tls(std::shared_ptr<const tls::TlsServerConfig> tls);

  int port() const;         // the first endpoint's
  std::string url() const;  // the first endpoint's: "https://127.0.0.1:PORT", "http://[::1]:PORT"
  std::vector<std::string> urls() const;  // every endpoint's, in the order they were given

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace krtool::server
