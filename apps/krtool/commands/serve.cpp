// krtool serve: Set-KrServerHttpsOptions + Add-KrEndpoint + Add-KrClientCertificateAuthentication +
// Add-KrMapRoute + Start-KrServer in one command. Flags override a --config file field by field.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/dev_root.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/server/build_server.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/server/log_writer.hpp"
#include "krtool/server/serve_config.hpp"
#include "krtool/tls/validation_calls.hpp"
#include "krtool/util/files.hpp"
#include "krtool/util/progress.hpp"

namespace krtool::app {
namespace {

namespace field = server::field;

// FieldFlag is one row of serve's flag table: a flag and the configuration field (by its --config key)
// that it sets. Parsing fills a scratch ServeConfig; merged_config copies each given flag's value over
// the --config file's, and records the flag as the field's origin, so that the library's errors name the
// flag the user typed, or the key they wrote in the file.
struct FieldFlag {
  std::string key;  // field::k..., or field::scheme(0, ...): the scheme flags set the first scheme
  std::function<CLI::Option*(CLI::App& command, server::ServeConfig& scratch)> add;
  std::function<void(const server::ServeConfig& from, server::ServeConfig& to)> copy;
};

template <typename T>
CLI::Option* add_bound(CLI::App& command, const std::string& flag, T& value, const std::string& help,
                       const std::string& value_text) {
  if constexpr (std::is_same_v<T, bool>) {
    return command.add_flag(flag, value, help);
  } else {
    CLI::Option* option = command.add_option(flag, value, help);
    if (!value_text.empty()) option->option_text(value_text);
    return option;
  }
}

template <typename T>
FieldFlag config_flag(std::string flag, std::string_view key, T server::ServeConfig::*member,
                      std::string help, std::string value_text = "") {
  return FieldFlag{
      std::string(key),
      [=](CLI::App& command, server::ServeConfig& scratch) {
        return add_bound(command, flag, scratch.*member, help, value_text);
      },
      [member](const server::ServeConfig& from, server::ServeConfig& to) { to.*member = from.*member; }};
}

// scheme_flag binds a flag to a field of the first scheme; `flag` may carry CLI11's value for a given
// flag ("--no-validate-certificate-use{false}").
template <typename T>
FieldFlag scheme_flag(std::string flag, std::string_view key, T server::SchemeConfig::*member,
                      std::string help, std::string value_text = "") {
  return FieldFlag{field::scheme(0, key),
                   [=](CLI::App& command, server::ServeConfig& scratch) {
                     return add_bound(command, flag, scratch.schemes.front().*member, help, value_text);
                   },
                   [member](const server::ServeConfig& from, server::ServeConfig& to) {
                     if (to.schemes.empty()) to.schemes.emplace_back();
                     to.schemes.front().*member = from.schemes.front().*member;
                   }};
}

const std::vector<FieldFlag>& field_flags() {
  using server::SchemeConfig;
  using server::ServeConfig;
  static const std::vector<FieldFlag> table = {
      config_flag("--address", field::kAddress, &ServeConfig::address, "Address to bind (default 127.0.0.1)",
                  "ADDRESS"),
      config_flag("--port", field::kPort, &ServeConfig::port,
                  "Port (default 5000 or $PORT; 0 picks a free port)", "PORT"),
      config_flag(
          "--urls", field::kUrls, &ServeConfig::urls,
          "Listening URLs as Kestrel takes them, instead of --address/--port: "
          "'https://127.0.0.1:8443;http://127.0.0.1:8080' (default $ASPNETCORE_URLS when neither is given)",
          "URLS"),
      config_flag("--allow-insecure-public", field::kAllowInsecurePublic, &ServeConfig::allow_insecure_public,
                  "Allow relaxed settings on a non-loopback address"),
      config_flag("--cert", field::kCert, &ServeConfig::cert_file,
                  "Server certificate: PFX, or PEM (with --key or the key inside)", "FILE"),
      config_flag("--key", field::kKey, &ServeConfig::key_file, "Server key when it is in a separate file",
                  "FILE"),
      config_flag("--self-signed", field::kSelfSigned, &ServeConfig::self_signed,
                  "Make a development root and localhost certificate in memory"),
      config_flag("--client-cert-mode", field::kClientCertMode, &ServeConfig::client_cert_mode,
                  "none, allow or require (NoCertificate, AllowCertificate, RequireCertificate)",
                  "none|allow|require"),
      config_flag("--trust-ca", field::kTrustCa, &ServeConfig::trust_ca_files,
                  "CA the TLS layer trusts for client certificates (repeatable; default the system store)",
                  "FILE"),
      config_flag("--ssl-protocols", field::kSslProtocols, &ServeConfig::ssl_protocols,
                  "tls12, tls13 or tls12,tls13 (default)", "tls12|tls13|tls12,tls13"),
      config_flag("--handshake-timeout", field::kHandshakeTimeout, &ServeConfig::handshake_timeout_seconds,
                  "Seconds a client has from connecting to the end of the TLS handshake (default 10)",
                  "SECONDS"),
      config_flag(
          "--tls-tickets", field::kTlsTickets, &ServeConfig::tls_tickets,
          "TLS 1.3 session tickets sent per full handshake, 0 to 16 (default 1; 0 disables resumption)", "N"),
      config_flag("--check-certificate-revocation", field::kCheckRevocation,
                  &ServeConfig::check_certificate_revocation,
                  "Check client certificates' revocation during the handshake (see --tls-revocation-mode)"),
      config_flag("--tls-revocation-mode", field::kTlsRevocationMode, &ServeConfig::tls_revocation_mode,
                  "How --check-certificate-revocation learns a status: online (OCSP responder, then CRL "
                  "distribution point) or offline (--crl files); default offline with --crl, else online",
                  "online|offline"),
      config_flag("--crl", field::kCrl, &ServeConfig::crl_files,
                  "CRL file (repeatable): the TLS layer's revocation check and the scheme's offline mode",
                  "FILE"),
      config_flag("--client-cert-validation", field::kValidation, &ServeConfig::validation_builtin,
                  "Built-in TLS callback: AllowAny, AllowSelfSignedForDevelopment, "
                  "AllowMissingOrSelfSignedForDevelopment",
                  "AllowAny|AllowSelfSignedForDevelopment|AllowMissingOrSelfSignedForDevelopment"),
      config_flag("--client-cert-validation-code", field::kValidationCode, &ServeConfig::validation_code,
                  "C++ body of the TLS validation callback", "CODE"),
      config_flag("--client-cert-validation-code-path", field::kValidationCodePath,
                  &ServeConfig::validation_code_path,
                  "File with the TLS validation callback (.cpp/.cc/.cxx or .so)", "FILE"),
      config_flag("--client-cert-validation-language", field::kValidationLanguage,
                  &ServeConfig::validation_language, "Language of --client-cert-validation-code: cpp",
                  "cpp|c++|cxx"),
      scheme_flag("--auth-scheme", field::kSchemeName, &SchemeConfig::name,
                  "Name of the certificate authentication scheme (default Certificate)", "NAME"),
      scheme_flag("--allowed-certificate-types", field::kAllowedTypes,
                  &SchemeConfig::allowed_certificate_types, "chained (default), selfsigned or all",
                  "chained|selfsigned|all"),
      scheme_flag("--revocation-mode", field::kRevocationMode, &SchemeConfig::revocation_mode,
                  "nocheck, online (default) or offline (with --crl)", "nocheck|online|offline"),
      scheme_flag("--auth-trust-ca", field::kSchemeTrustCa, &SchemeConfig::trust_ca_files,
                  "Custom trust store of the scheme (repeatable)", "FILE"),
      scheme_flag("--no-validate-certificate-use{false}", field::kValidateUse,
                  &SchemeConfig::validate_certificate_use, "Do not require the clientAuth EKU"),
      scheme_flag("--no-validate-validity-period{false}", field::kValidateValidity,
                  &SchemeConfig::validate_validity_period, "Do not check notBefore/notAfter in the scheme"),
      config_flag("--route", field::kRoutes, &ServeConfig::routes,
                  "'METHOD PATH [auth=SCHEME[,SCHEME]] [policy=NAME] [HANDLER]' (repeatable); HANDLER is one "
                  "of json:TEMPLATE, file:PATH, dir:PATH, status:CODE, proxy:URL, crl:CA, ocsp:CA",
                  "ROUTE"),
      config_flag("--policy", field::kPolicies, &ServeConfig::policies,
                  "Authorization policy 'NAME: RULE; RULE' for routes' policy=NAME (repeatable); rules: "
                  "issuer, subject, thumbprint, pin, san, eku, claim",
                  "POLICY"),
      config_flag("--log-format", field::kLogFormat, &ServeConfig::log_format,
                  "Access log format: text (default) or json", "text|json"),
      config_flag("--diagnostics", field::kDiagnostics, &ServeConfig::diagnostics,
                  "Add Krtool-Auth-Failure with the scheme's reason to 401/403 answers"),
      config_flag("--max-connections", field::kMaxConnections, &ServeConfig::max_connections,
                  "Connections served at once (default 512)", "N"),
      config_flag("--threads", field::kThreads, &ServeConfig::threads,
                  "Event-loop threads that serve all connections, 1 to 256 (default one per core)", "N"),
      config_flag("--keep-alive-timeout", field::kKeepAliveTimeout, &ServeConfig::keep_alive_timeout_seconds,
                  "Seconds an idle keep-alive connection stays open (default 5)", "SECONDS"),
  };
  return table;
}

struct ServeOptions {
  std::string config_file;
  server::ServeConfig flags;  // parsing fills it; merged_config copies the flags given over the file
  std::vector<CLI::Option*> field_options;  // field_options[i] binds field_flags()[i]
  PasswordFlags password;
  std::string export_root;
  bool force = false;
  bool new_root = false;
};

// merged_config starts from the --config file (or the defaults) and applies every flag that was given.
// A field's origin is its flag unless the file set it and no flag overrode it: an error about a field
// nobody set names the flag, which is how the user would set it.
server::ServeConfig merged_config(const ServeOptions& o) {
  server::ServeConfig c =
      o.config_file.empty() ? server::ServeConfig{} : server::load_serve_config(o.config_file);
  const std::vector<FieldFlag>& table = field_flags();
  for (size_t i = 0; i < table.size(); ++i) {
    const CLI::Option* option = o.field_options[i];
    if (option->count() > 0) {
      table[i].copy(o.flags, c);
      c.origins[table[i].key] = option->get_name();
      c.given.insert(table[i].key);
    } else if (!c.origins.contains(table[i].key)) {
      c.origins[table[i].key] = option->get_name();
    }
  }
  if (o.password.source().specified()) c.cert_password = o.password.source();
  return c;
}

// say writes one of serve's own lines to standard error through the access log's writer, so that it
// never lands in the middle of a log line.
void say(const std::string& line) { server::stderr_writer().write_line("krtool: " + line); }

// kShutdownGrace is how long a stopped server waits for validation code that is still running (calls
// abandoned at their deadline) before the process exits without it.
constexpr std::chrono::seconds kShutdownGrace{5};

// handled_signals are SIGINT and SIGTERM (stop) and SIGHUP (reload the TLS files). They are blocked in
// every thread (block_handled_signals runs before the server starts any, and its threads inherit the
// mask) so that only the SignalWaiter's thread sees them, in sigwait: nothing runs in a signal handler.
sigset_t handled_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

void block_handled_signals() {
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// SignalWaiter turns SIGINT or SIGTERM into a clean stop of `server`, and each SIGHUP into a call of
// `reload`. It must be destroyed before the server: its destructor wakes and joins the thread that would
// otherwise call stop() on it.
class SignalWaiter {
 public:
  SignalWaiter(server::DevServer& server, std::function<void()> reload) : signals_(handled_signals()) {
    thread_ = std::thread([this, &server, reload = std::move(reload)] {
      for (;;) {
        int signal = 0;
        sigwait(&signals_, &signal);
        if (stopping_) return;
        if (signal == SIGHUP) {
          reload();
          continue;
        }
        say(fmt::format("stopping ({}), finishing requests in flight",
                        signal == SIGINT ? "SIGINT" : "SIGTERM"));
        server::stderr_writer().flush();
        server.stop();
        return;
      }
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

// TlsReloader re-reads the TLS files on SIGHUP and hands the new configuration to the server; a reload
// that fails leaves the server as it was and says why.
class TlsReloader {
 public:
  TlsReloader(const server::ServeConfig& config, server::DevServer& server,
              std::shared_ptr<const tls::TlsServerConfig> current)
      : config_(config), server_(server), current_(std::move(current)) {}

  void operator()() {
    if (current_ == nullptr) {
      say("SIGHUP: nothing to reload, the server speaks plain HTTP");
      return;
    }
    try {
      // No one is at the terminal to ask for a password now: it comes from the flags, a file or the
      // environment, as it did at start-up, or the reload fails.
      const PasswordPrompt no_prompt = [](std::string_view, bool) { return std::optional<std::string>(); };
      std::shared_ptr<const tls::TlsServerConfig> next =
          server::reload_tls_layer(config_, no_prompt, nullptr, *current_);
      server_.reload_tls(next);
      current_ = std::move(next);
      X509* certificate = current_->options().identity.certificate.get();
      say(fmt::format("reloaded the TLS configuration: server certificate '{}' thumbprint {}",
                      cert::format_dn(X509_get_subject_name(certificate)), cert::thumbprint(certificate)));
    } catch (const std::exception& e) {
      say(fmt::format("reload failed, keeping the previous TLS configuration: {}", e.what()));
    }
  }

 private:
  const server::ServeConfig& config_;
  server::DevServer& server_;
  std::shared_ptr<const tls::TlsServerConfig> current_;  // only the signal thread touches it
};

// exit_if_validation_code_runs ends the process when validation code abandoned at its deadline is still
// running a grace period after the server stopped: nothing can stop such a call, and returning from main
// would run static destructors under its feet.
void exit_if_validation_code_runs() {
  if (tls::validation_calls_running() == 0 || tls::wait_for_validation_calls(kShutdownGrace)) return;
  const std::vector<std::string> running = tls::validation_code_running();
  say(fmt::format("error: validation code still running after {} s: {}", kShutdownGrace.count(),
                  fmt::join(running, ", ")));
  server::stderr_writer().flush();
  std::cout << std::flush;
  _exit(exit_code(Errc::Internal));
}

// FlushAtEnd writes serve's buffered lines before an error message from main could overtake them.
struct FlushAtEnd {
  ~FlushAtEnd() { server::stderr_writer().flush(); }
};

int run_serve(const ServeOptions& o) {
  const FlushAtEnd flush_at_end;
  const server::ServeConfig config = merged_config(o);
  if (o.new_root) {
    if (!config.self_signed) {
      throw Error(Errc::Usage, fmt::format("--new-root needs {}", config.name_of(field::kSelfSigned)),
                  "only the development root that --self-signed uses can be replaced here");
    }
    cert::DevelopmentRootOptions replace;
    replace.new_root = true;
    const cert::DevelopmentRoot stored = cert::development_root(replace);
    if (stored.kept) say(fmt::format("the previous development root was kept as {}", stored.kept->string()));
  }
  server::BuiltServer built = server::build_server_options(config, terminal_prompt, nullptr);
  for (const std::string& w : built.warnings) say("warning: " + w);
  if (built.development_root) {
    const cert::CertBundle& root = *built.development_root;
    say(fmt::format("{}: development root '{}' thumbprint {}", config.name_of(field::kSelfSigned),
                    cert::format_dn(X509_get_subject_name(root.certificate.get())),
                    cert::thumbprint(root.certificate.get())));
    if (!o.export_root.empty()) {
      files::write_file(o.export_root, formats::encode_pem_certificate(root.certificate.get()),
                        files::FileMode::Public, o.force, "development root certificate");
      say(fmt::format("wrote the development root to {} (curl --cacert {})", o.export_root, o.export_root));
    } else {
      say(fmt::format("clients must trust the root (curl --cacert {}) or skip verification (-k)",
                      (cert::development_root_folder() / cert::kDevelopmentRootCertificate).string()));
    }
  } else if (!o.export_root.empty()) {
    throw Error(Errc::Usage, fmt::format("--export-root needs {}", config.name_of(field::kSelfSigned)),
                "only the in-memory development root can be exported");
  }
  for (const std::string& line : built.description) say(line);

  // From here on the access log tells what happens; a transient progress line (an online revocation
  // fetch during a request) would only cut into it.
  progress::set_sink(nullptr);
  // Blocked only now: until the server exists, SIGINT at a password prompt ends krtool as usual.
  block_handled_signals();
  const std::shared_ptr<const tls::TlsServerConfig> tls_config = built.options.tls;
  {
    server::DevServer server(std::move(built.options));
    server.bind();
    server::stderr_writer().flush();  // the start-up lines come before the listening line
    // One line per endpoint, as Kestrel prints them; the first is the one scripts read.
    for (const std::string& url : server.urls()) std::cout << "Now listening on: " << url << '\n';
    std::cout << std::flush;
    const SignalWaiter signals(server, TlsReloader(config, server, tls_config));  // joined before the server
    server.run();
  }
  exit_if_validation_code_runs();
  return 0;
}

// section_starting_at names the --help heading that begins at a row of field_flags(); the rows after it
// belong to it until the next one begins.
const char* section_starting_at(const std::string& key) {
  static const std::pair<std::string, const char*> kSections[] = {
      {std::string(field::kAddress), "Endpoint"},
      {std::string(field::kClientCertMode), "TLS layer"},
      {std::string(field::kValidation), "Validation"},
      {field::scheme(0, field::kSchemeName), "Authentication scheme"},
      {std::string(field::kRoutes), "Routes"},
      {std::string(field::kLogFormat), "Logging"},
      {std::string(field::kMaxConnections), "Limits"},
  };
  for (const auto& [first_key, heading] : kSections) {
    if (key == first_key) return heading;
  }
  return nullptr;
}

}  // namespace

void setup_serve(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<ServeOptions>();
  ServeOptions& o = *options;
  o.flags.schemes.emplace_back();  // the scheme flags' values, for the first scheme
  CLI::App* cmd =
      parent.add_subcommand("serve", "Run a development HTTPS server with client-certificate authentication");
  cmd->add_option("--config", o.config_file,
                  "JSON file with endpoint, HTTPS options, schemes and routes; flags override it")
      ->option_text("FILE")
      ->group("Configuration file");
  std::string group = "Endpoint";
  for (const FieldFlag& row : field_flags()) {
    if (const char* heading = section_starting_at(row.key)) group = heading;
    o.field_options.push_back(row.add(*cmd, o.flags)->group(group));
    if (row.key == field::kSelfSigned) {
      // The flags that belong with the server certificate follow it in --help and the man page.
      o.password.add_to(cmd, "", "the server certificate", group);
      cmd->add_option("--export-root", o.export_root,
                      "With --self-signed: write the development root (PEM) here for clients")
          ->option_text("FILE")
          ->group(group);
      cmd->add_flag("--force", o.force, "Overwrite --export-root")->group(group);
      cmd->add_flag("--new-root", o.new_root,
                    "With --self-signed: replace the stored development root (krtool caroot) first")
          ->group(group);
    }
  }
  cmd->get_option("--cert")->excludes(cmd->get_option("--self-signed"));
  cmd->footer(examples_footer({
      "krtool serve --self-signed --export-root root.pem",
      "krtool serve --cert localhost.pem --client-cert-mode allow --trust-ca localhost-root.pem "
      "--auth-trust-ca localhost-root.pem --revocation-mode nocheck",
      "krtool serve --cert localhost.pem --client-cert-mode require --trust-ca localhost-root.pem "
      "--auth-trust-ca localhost-root.pem --revocation-mode nocheck "
      "--route 'GET /whoami auth=Certificate json:{\"user\":\"{user.name}\"}'",
  }));
  cmd->callback([&runner, options] { runner.action = [options] { return run_serve(*options); }; });
}

}  // namespace krtool::app
