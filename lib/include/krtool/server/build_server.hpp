// build_server_options turns what `krtool serve` was told (ServeConfig) into a DevServer configuration:
// it loads the certificates, trust lists and CRLs, makes the TLS policy and the authentication schemes,
// parses the routes, and applies the safety rules (relaxed settings warned about and loopback-only
// unless allow_insecure_public). Trust misconfiguration fails closed: an unreadable or empty --trust-ca
// is an error, never a fallback to the system store.
#pragma once

#include <string>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/server/serve_config.hpp"

namespace krtool::server {

struct BuiltServer {
  DevServerOptions options;
  std::vector<std::string> warnings;     // to print before listening
  std::vector<std::string> description;  // "client certificates: allow, AllowSelfSignedForDevelopment", ...
  std::optional<cert::CertBundle> development_root;  // with --self-signed: the root to give clients
};

// is_loopback reports whether an address to bind is loopback only (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& address);

// `log` receives the access log and the TLS layer's rejections (default: standard error).
BuiltServer build_server_options(const ServeConfig& config, const PasswordPrompt& prompt,
                                 std::function<void(const std::string&)> log = nullptr);

}  // namespace krtool::server
