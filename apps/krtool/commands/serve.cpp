// krtool serve: Set-KrServerHttpsOptions + Add-KrEndpoint + Add-KrClientCertificateAuthentication +
// Add-KrMapRoute + Start-KrServer in one command. Flags override a --config file field by field.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "cli.hpp"
#include "command.hpp"
#include "common.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/server/build_server.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/server/serve_config.hpp"
#include "krtool/util/files.hpp"

namespace krtool::app {
namespace {

struct ServeOptions {
  std::string config_file;
  server::ServeConfig flags;  // only the fields whose flags were given are copied over the config file
  server::SchemeConfig scheme;
  PasswordFlags password;
  std::string export_root;
  bool force = false;
  bool no_validate_use = false, no_validate_validity = false;
  std::vector<CLI::Option*> given;  // filled at setup, read after parsing
  std::map<std::string, CLI::Option*> by_name;
};

bool given(const ServeOptions& o, const std::string& name) {
  auto it = o.by_name.find(name);
  return it != o.by_name.end() && it->second->count() > 0;
}

// merged_config starts from the --config file (or the defaults) and applies every flag that was given.
server::ServeConfig merged_config(const ServeOptions& o) {
  server::ServeConfig c =
      o.config_file.empty() ? server::ServeConfig{} : server::load_serve_config(o.config_file);
  const server::ServeConfig& f = o.flags;
  if (given(o, "--address")) c.address = f.address;
  if (given(o, "--port")) c.port = f.port;
  if (given(o, "--cert")) c.cert_file = f.cert_file;
  if (given(o, "--key")) c.key_file = f.key_file;
  if (o.password.source().specified()) c.cert_password = o.password.source();
  if (given(o, "--self-signed")) c.self_signed = f.self_signed;
  if (given(o, "--client-cert-mode")) c.client_cert_mode = f.client_cert_mode;
  if (given(o, "--trust-ca")) c.trust_ca_files = f.trust_ca_files;
  if (given(o, "--ssl-protocols")) c.ssl_protocols = f.ssl_protocols;
  if (given(o, "--handshake-timeout")) c.handshake_timeout_seconds = f.handshake_timeout_seconds;
  if (given(o, "--check-certificate-revocation")) c.check_certificate_revocation = true;
  if (given(o, "--crl")) c.crl_files = f.crl_files;
  if (given(o, "--client-cert-validation")) c.validation_builtin = f.validation_builtin;
  if (given(o, "--client-cert-validation-code")) c.validation_code = f.validation_code;
  if (given(o, "--client-cert-validation-code-path")) c.validation_code_path = f.validation_code_path;
  if (given(o, "--client-cert-validation-language")) c.validation_language = f.validation_language;
  if (given(o, "--route")) c.routes = f.routes;
  if (given(o, "--log-format")) c.log_format = f.log_format;
  if (given(o, "--diagnostics")) c.diagnostics = true;
  if (given(o, "--allow-insecure-public")) c.allow_insecure_public = true;
  if (given(o, "--max-connections")) c.max_connections = f.max_connections;
  if (given(o, "--keep-alive-timeout")) c.keep_alive_timeout_seconds = f.keep_alive_timeout_seconds;
  // The scheme flags describe the first scheme (the one the tutorial routes use).
  const bool any_scheme_flag = given(o, "--auth-scheme") || given(o, "--allowed-certificate-types") ||
                               given(o, "--revocation-mode") || given(o, "--auth-trust-ca") ||
                               given(o, "--no-validate-certificate-use") ||
                               given(o, "--no-validate-validity-period");
  if (any_scheme_flag) {
    if (c.schemes.empty()) c.schemes.emplace_back();
    server::SchemeConfig& s = c.schemes.front();
    if (given(o, "--auth-scheme")) s.name = o.scheme.name;
    if (given(o, "--allowed-certificate-types"))
      s.allowed_certificate_types = o.scheme.allowed_certificate_types;
    if (given(o, "--revocation-mode")) s.revocation_mode = o.scheme.revocation_mode;
    if (given(o, "--auth-trust-ca")) s.trust_ca_files = o.scheme.trust_ca_files;
    if (given(o, "--no-validate-certificate-use")) s.validate_certificate_use = false;
    if (given(o, "--no-validate-validity-period")) s.validate_validity_period = false;
  }
  return c;
}

// stop_signals are SIGINT and SIGTERM. They are blocked in every thread (block_stop_signals runs before the
// server starts any, and its threads inherit the mask) so that only the SignalWaiter's thread sees them.
sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

void block_stop_signals() {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// SignalWaiter turns SIGINT or SIGTERM into a clean stop of `server`. It must be destroyed before the
// server: its destructor wakes and joins the thread that would otherwise call stop() on it.
class SignalWaiter {
 public:
  explicit SignalWaiter(server::DevServer& server) : signals_(stop_signals()) {
    thread_ = std::thread([this, &server] {
      int signal = 0;
      sigwait(&signals_, &signal);
      if (!stopping_)
        std::cerr << "krtool: stopping (" << (signal == SIGINT ? "SIGINT" : "SIGTERM")
                  << "), finishing requests in flight" << std::endl;
      server.stop();
    });
  }
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;
  ~SignalWaiter() {
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait when the server stopped on its own
    thread_.join();
  }

 private:
  sigset_t signals_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

int run_serve(const ServeOptions& o) {
  const server::ServeConfig config = merged_config(o);
  server::BuiltServer built = server::build_server_options(config, terminal_prompt, nullptr);
  for (const std::string& w : built.warnings) warn(w);
  if (built.development_root) {
    const cert::CertBundle& root = *built.development_root;
    std::cerr << "krtool: --self-signed: development root '"
              << cert::format_dn(X509_get_subject_name(root.certificate.get())) << "' thumbprint "
              << cert::thumbprint(root.certificate.get()) << '\n';
    if (!o.export_root.empty()) {
      files::write_file(o.export_root, formats::encode_pem_certificate(root.certificate.get()),
                        files::FileMode::Public, o.force, "development root certificate");
      std::cerr << "krtool: wrote the development root to " << o.export_root << " (curl --cacert "
                << o.export_root << ")\n";
    } else {
      std::cerr
          << "krtool: clients must skip verification (-k) or trust the root: add --export-root root.pem\n";
    }
  } else if (!o.export_root.empty()) {
    throw Error(Errc::Usage, "--export-root needs --self-signed",
                "only the in-memory development root can be exported");
  }
  for (const std::string& line : built.description) std::cerr << "krtool: " << line << '\n';

  block_stop_signals();
  server::DevServer server(std::move(built.options));
  server.bind();
  std::cout << "Now listening on: " << server.url() << std::endl;
  const SignalWaiter signals(server);  // declared after the server, so destroyed (joined) before it
  server.run();
  return 0;
}

}  // namespace

void setup_serve(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<ServeOptions>();
  ServeOptions& o = *options;
  server::ServeConfig& f = o.flags;
  CLI::App* cmd =
      parent.add_subcommand("serve", "Run a development HTTPS server with client-certificate authentication");
  auto add = [&](CLI::Option* option) {
    o.by_name[option->get_name()] = option;
    return option;
  };
  cmd->add_option("--config", o.config_file,
                  "JSON file with endpoint, HTTPS options, schemes and routes; flags override it");
  add(cmd->add_option("--address", f.address, "Address to bind (default 127.0.0.1)"));
  add(cmd->add_option("--port", f.port, "Port (default 5000 or $PORT; 0 picks a free port)"));
  auto* cert = add(cmd->add_option("--cert", f.cert_file,
                                   "Server certificate: PFX, or PEM (with --key or the key inside)"));
  add(cmd->add_option("--key", f.key_file, "Server key when it is in a separate file"));
  o.password.add_to(cmd, "", "the server certificate");
  auto* self_signed = add(cmd->add_flag("--self-signed", f.self_signed,
                                        "Make a development root and localhost certificate in memory"));
  cert->excludes(self_signed);
  cmd->add_option("--export-root", o.export_root,
                  "With --self-signed: write the development root (PEM) here for clients");
  cmd->add_flag("--force", o.force, "Overwrite --export-root");
  add(cmd->add_option("--client-cert-mode", f.client_cert_mode,
                      "none, allow or require (NoCertificate, AllowCertificate, RequireCertificate)")
          ->option_text("none|allow|require"));
  add(cmd->add_option(
      "--trust-ca", f.trust_ca_files,
      "CA the TLS layer trusts for client certificates (repeatable; default the system store)"));
  add(cmd->add_option("--ssl-protocols", f.ssl_protocols, "tls12, tls13 or tls12,tls13 (default)")
          ->option_text("tls12|tls13|tls12,tls13"));
  add(cmd->add_option("--handshake-timeout", f.handshake_timeout_seconds,
                      "Seconds a client has to finish the handshake and send a request (default 10)"));
  add(cmd->add_flag("--check-certificate-revocation", f.check_certificate_revocation,
                    ("Check client certificates against --crl during the handshake")));
  add(cmd->add_option(
      "--crl", f.crl_files,
      "CRL file (repeatable): the TLS layer's revocation check and the scheme's offline mode"));
  add(cmd->add_option("--client-cert-validation", f.validation_builtin,
                      "Built-in TLS callback: AllowAny, AllowSelfSignedForDevelopment, "
                      "AllowMissingOrSelfSignedForDevelopment")
          ->option_text("AllowAny|AllowSelfSignedForDevelopment|AllowMissingOrSelfSignedForDevelopment"));
  add(cmd->add_option("--client-cert-validation-code", f.validation_code,
                      "C++ body of the TLS validation callback"));
  add(cmd->add_option("--client-cert-validation-code-path", f.validation_code_path,
                      "File with the TLS validation callback (.cpp/.cc/.cxx or .so)"));
  add(cmd->add_option("--client-cert-validation-language", f.validation_language,
                      "Language of --client-cert-validation-code: cpp")
          ->option_text("cpp|c++|cxx"));
  add(cmd->add_option("--auth-scheme", o.scheme.name,
                      "Name of the certificate authentication scheme (default Certificate)"));
  add(cmd->add_option("--allowed-certificate-types", o.scheme.allowed_certificate_types,
                      "chained (default), selfsigned or all")
          ->option_text("chained|selfsigned|all"));
  add(cmd->add_option("--revocation-mode", o.scheme.revocation_mode,
                      "nocheck, online (default) or offline (with --crl)")
          ->option_text("nocheck|online|offline"));
  add(cmd->add_option("--auth-trust-ca", o.scheme.trust_ca_files,
                      "Custom trust store of the scheme (repeatable)"));
  add(cmd->add_flag("--no-validate-certificate-use", o.no_validate_use,
                    ("Do not require the clientAuth EKU")));
  add(cmd->add_flag("--no-validate-validity-period", o.no_validate_validity,
                    ("Do not check notBefore/notAfter in the scheme")));
  add(cmd->add_option(
      "--route", f.routes,
      "'METHOD PATH [auth=SCHEME] [json:TEMPLATE|file:PATH|dir:PATH|status:CODE|proxy:URL]' (repeatable)"));
  add(cmd->add_option("--log-format", f.log_format, "Access log format: text (default) or json")
          ->option_text("text|json"));
  add(cmd->add_flag("--diagnostics", f.diagnostics,
                    ("Add Krtool-Auth-Failure with the scheme's reason to 401/403 answers")));
  add(cmd->add_flag("--allow-insecure-public", f.allow_insecure_public,
                    ("Allow relaxed settings on a non-loopback address")));
  add(cmd->add_option("--max-connections", f.max_connections, "Connections served at once (default 512)"));
  add(cmd->add_option("--keep-alive-timeout", f.keep_alive_timeout_seconds,
                      "Seconds an idle keep-alive connection stays open (default 5)"));
  cmd->callback([&runner, options] { runner.action = [options] { return run_serve(*options); }; });
}

}  // namespace krtool::app
