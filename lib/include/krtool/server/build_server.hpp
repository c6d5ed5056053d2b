// build_server_options turns what `krtool serve` was told (ServeConfig) into a DevServer configuration,
// one step per layer: the TLS layer (certificates, trust list, CRLs, validation policy), the
// authentication schemes, the routes, the limits, and last the exposure check (relaxed settings are
// warned about and loopback-only unless allow_insecure_public). Trust misconfiguration fails closed: an
// unreadable or empty trust file is an error, never a fallback to the system store. Errors name a field
// as ServeConfig::name_of does: the flag or the --config key the user wrote.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/auth/authorization_policy.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/bundle.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/server/serve_config.hpp"
#include "krtool/tls/server_context.hpp"
#include "krtool/util/password.hpp"

namespace krtool::server {

using LogSink = std::function<void(const std::string& line)>;

// What a step tells the user before the server listens.
struct BuildNotes {
  std::vector<std::string> description;  // "tls: client certificates allow; ...", one line each
  std::vector<std::string> relaxed;      // settings relaxed for development, for check_exposure
  std::vector<std::string> warnings;
};

struct BuiltServer {
  DevServerOptions options;
  std::vector<std::string> warnings;  // to print before listening
  std::vector<std::string>
      description;  // "tls: client certificates allow; ...", "route: GET /info -> public"
  std::optional<cert::CertBundle> development_root;  // with --self-signed: the root to give clients
};

// `log` receives the access log and the TLS layer's rejections (default: standard error).
BuiltServer build_server_options(const ServeConfig& config, const PasswordPrompt& prompt,
                                 LogSink log = nullptr);

// The steps, in the order build_server_options runs them.

struct TlsLayer {
  std::shared_ptr<const tls::TlsServerConfig> config;  // null: plain HTTP
  std::optional<cert::CertBundle> development_root;    // with selfSigned
  BuildNotes notes;
};
// build_tls_layer loads the server certificate (or makes a development pair), the trust list and the
// CRLs, and makes the validation policy; its log lines go to `log`. Without a certificate it returns
// plain HTTP, and any TLS setting given is an error.
TlsLayer build_tls_layer(const ServeConfig& config, const PasswordPrompt& prompt, LogSink log);

// reload_tls_layer is build_tls_layer for a running server's reload (serve's SIGHUP): it re-reads the
// server certificate and key, the trusted CAs and the CRLs, and keeps from `previous` what has no file
// to re-read (the development pair of selfSigned) and the validation policy (compiled code is built
// once). Error when a file cannot be used; the caller keeps `previous` then.
std::shared_ptr<const tls::TlsServerConfig> reload_tls_layer(const ServeConfig& config,
                                                             const PasswordPrompt& prompt, LogSink log,
                                                             const tls::TlsServerConfig& previous);

struct AuthLayer {
  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes;  // never empty
  BuildNotes notes;
};
// build_auth_schemes makes the configured schemes, or the default "Certificate" scheme.
// `log` hears about CRL files that changed on disk but could not be read (offline mode keeps the
// previous CRLs then).
AuthLayer build_auth_schemes(const ServeConfig& config, LogSink log = nullptr);

struct PolicySet {
  std::vector<std::shared_ptr<const auth::AuthorizationPolicy>> policies;
  BuildNotes notes;
};
// build_policies parses the --policy / "policies" declarations; a name defined twice is Error(Usage).
PolicySet build_policies(const ServeConfig& config);

struct RouteTable {
  std::vector<Route> routes;
  BuildNotes notes;
};
// build_routes parses the configured routes, or mounts the tutorial's three, protected by
// `first_scheme`, whose answers show URLs under `base_url`.
RouteTable build_routes(const ServeConfig& config, const std::string& first_scheme,
                        const std::string& base_url);

// build_limits checks that every limit and timeout is at least 1.
ServerLimits build_limits(const ServeConfig& config);

// is_loopback reports whether an address to bind is loopback only (127.0.0.0/8, ::1, localhost).
bool is_loopback(const std::string& address);

// warn_about_doomed_setups names set-ups that start but cannot succeed, one warning each with the field
// that fixes it: protected routes while no client sends a certificate (no TLS, or client certificate
// mode none: every call is 401), and a scheme in online revocation mode whose trusted CAs name no CRL
// distribution point or OCSP responder (every certificate would be RevocationStatusUnknown).
std::vector<std::string> warn_about_doomed_setups(const DevServerOptions& options, const ServeConfig& config);

// check_exposure is the loopback rule: relaxed settings bind only to loopback addresses (every endpoint
// of `options`), or need allow_insecure_public. It returns one warning per relaxed setting, or throws
// Error(Usage).
std::vector<std::string> check_exposure(const ServeConfig& config, const DevServerOptions& options,
                                        const std::vector<std::string>& relaxed);

}  // namespace krtool::server
