#include "krtool/server/build_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "krtool/cert/builder.hpp"
#include "krtool/cert/crl.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/tls/policy_compiler.hpp"
#include "server/access_log.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

constexpr int kDefaultPort = 5000;

int resolve_port(const ServeConfig& config) {
  if (config.port) {
    if (*config.port < 0 || *config.port > 65535) {
      throw Error(Errc::Usage, fmt::format("--port: {} is not a port", *config.port),
                  "use 0 to 65535; 0 picks a free port");
    }
    return *config.port;
  }
  if (const char* env = std::getenv("PORT"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long port = std::strtol(env, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
      throw Error(Errc::Usage, fmt::format("$PORT: '{}' is not a port", env), "unset PORT or give --port");
    }
    return static_cast<int>(port);
  }
  return kDefaultPort;
}

// load_trust_list fails closed: a named trust file that cannot be read or holds no certificate is an
// error, never an empty list that would fall back to the system store.
std::vector<ossl::UniquePtr<X509>> load_trust_list(const std::vector<std::string>& files,
                                                   const std::string& flag) {
  std::vector<ossl::UniquePtr<X509>> out;
  for (const std::string& file : files) {
    std::vector<ossl::UniquePtr<X509>> certificates = formats::load_certificates(file);
    if (certificates.empty()) {
      throw Error(Errc::Input, fmt::format("{} '{}' holds no certificate", flag, file),
                  "give the CA certificate (PEM, DER or PFX) that issued the client certificates");
    }
    for (auto& c : certificates) out.push_back(std::move(c));
  }
  return out;
}

std::vector<ossl::UniquePtr<X509_CRL>> load_crl_list(const std::vector<std::string>& files) {
  std::vector<ossl::UniquePtr<X509_CRL>> out;
  for (const std::string& file : files) {
    for (auto& crl : cert::load_crls(file)) out.push_back(std::move(crl));
  }
  return out;
}

struct MadePolicy {
  std::shared_ptr<const tls::ClientCertPolicy> policy;  // null: strict validation
  std::string origin;                                   // for compiled code: where it came from
};

// check_validation_flags runs before anything is loaded, so that conflicting flags are reported as
// such whatever else is wrong.
void check_validation_flags(const ServeConfig& config) {
  std::vector<std::string> given;
  if (!config.validation_builtin.empty()) given.emplace_back("--client-cert-validation");
  if (!config.validation_code.empty()) given.emplace_back("--client-cert-validation-code");
  if (!config.validation_code_path.empty()) given.emplace_back("--client-cert-validation-code-path");
  if (given.size() > 1) {
    throw Error(
        Errc::Usage,
        fmt::format("{} cannot be combined: give one TLS validation callback", fmt::join(given, " and ")),
        "choose a built-in callback, a code snippet, or a code file");
  }
  if (!config.validation_language.empty()) {
    if (!config.validation_code_path.empty()) {
      throw Error(Errc::Usage,
                  "do not give --client-cert-validation-language with --client-cert-validation-code-path",
                  "the language comes from the file's extension");
    }
    if (config.validation_code.empty()) {
      throw Error(
          Errc::Usage,
          "--client-cert-validation-language applies to --client-cert-validation-code, which was not given",
          "give the code, or leave the language out");
    }
    tls::check_validation_language(config.validation_language);
  }
}

MadePolicy make_policy(const ServeConfig& config) {
  if (!config.validation_code.empty() || !config.validation_code_path.empty()) {
    const tls::LoadedPolicy loaded =
        tls::load_validation_code(tls::ValidationCode{config.validation_code, config.validation_code_path});
    return MadePolicy{loaded.policy, loaded.describe()};
  }
  if (config.validation_builtin.empty()) return {};
  return MadePolicy{tls::builtin_policy(config.validation_builtin), ""};
}

std::shared_ptr<const auth::CertificateScheme> make_scheme(const SchemeConfig& scheme,
                                                           const ServeConfig& config) {
  auth::CertificateSchemeOptions options;
  options.name = scheme.name;
  if (options.name.empty())
    throw Error(Errc::Usage, "--auth-scheme: the scheme needs a name", "e.g. --auth-scheme Certificate");
  options.allowed_types = auth::parse_allowed_types(scheme.allowed_certificate_types);
  options.revocation_mode = auth::parse_revocation_mode(scheme.revocation_mode);
  options.validate_certificate_use = scheme.validate_certificate_use;
  options.validate_validity_period = scheme.validate_validity_period;
  options.custom_trust_store = load_trust_list(scheme.trust_ca_files, "--auth-trust-ca");
  std::vector<std::string> crl_files = scheme.crl_files;
  if (crl_files.empty()) crl_files = config.crl_files;  // --crl feeds both layers
  options.crls = load_crl_list(crl_files);
  if (options.revocation_mode == auth::RevocationMode::Offline && options.crls.empty()) {
    throw Error(Errc::Usage,
                fmt::format("scheme '{}': --revocation-mode offline needs --crl FILE", scheme.name),
                "give the CRL of each issuing CA, or use --revocation-mode nocheck for development");
  }
  return std::make_shared<const auth::CertificateScheme>(std::move(options));
}

}  // namespace

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  unsigned char v4[4];
  if (inet_pton(AF_INET, address.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (inet_pton(AF_INET6, address.c_str(), v6) == 1) {
    static constexpr unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(std::begin(v6), std::end(v6), std::begin(kLoopback));
  }
  return false;
}

BuiltServer build_server_options(const ServeConfig& config, const PasswordPrompt& prompt,
                                 std::function<void(const std::string&)> log) {
  BuiltServer built;
  DevServerOptions& options = built.options;
  options.log = log ? std::move(log) : stderr_log();
  const bool json_log = config.log_format == "json";
  options.address = config.address;
  options.port = resolve_port(config);

  const tls::ClientCertMode mode = tls::parse_client_cert_mode(config.client_cert_mode);
  check_validation_flags(config);
  if (config.self_signed && !config.cert_file.empty()) {
    throw Error(Errc::Usage, "--self-signed and --cert cannot be combined", "give one server certificate");
  }
  std::vector<std::string> relaxed;
  if (config.self_signed || !config.cert_file.empty()) {
    tls::ServerTlsOptions tls_options;
    if (config.self_signed) {
      cert::DevelopmentPair pair = cert::create_development_pair(cert::DevelopmentSpec{});
      tls_options.identity = std::move(pair.leaf);
      built.development_root = std::move(pair.root);
    } else {
      formats::LoadOptions load;
      load.password = read_password(config.cert_password);
      load.key_path = config.key_file;
      load.sibling_key = true;
      load.prompt = prompt;
      tls_options.identity = formats::load_bundle(config.cert_file, load);
      if (!tls_options.identity.key) {
        throw Error(Errc::Input, fmt::format("--cert '{}' has no private key", config.cert_file),
                    "give a PFX with its key, or --key FILE for a PEM certificate (krtool also looks for "
                    "<base>.key beside it)");
      }
    }
    tls_options.mode = mode;
    tls_options.trust_ca = load_trust_list(config.trust_ca_files, "--trust-ca");
    tls_options.check_certificate_revocation = config.check_certificate_revocation;
    tls_options.crls = load_crl_list(config.crl_files);
    tls_options.ssl_protocols = config.ssl_protocols;
    MadePolicy policy = make_policy(config);
    tls_options.policy = std::move(policy.policy);
    if (tls_options.policy && tls_options.policy->is_relaxed()) {
      relaxed.push_back(fmt::format("TLS validation callback {}", tls_options.policy->name()));
    }
    built.description.push_back(fmt::format(
        "tls: client certificates {}; trusted issuers: {}; validation: {}{}", tls::to_string(mode),
        config.trust_ca_files.empty() ? std::string("the system store")
                                      : fmt::format("{}", fmt::join(config.trust_ca_files, ", ")),
        tls_options.policy ? tls_options.policy->name() : std::string("strict (a chain without errors)"),
        config.check_certificate_revocation ? "; revocation checked" : ""));
    if (!policy.origin.empty()) built.description.push_back(fmt::format("tls: {}", policy.origin));
    tls_options.log = [sink = options.log, json_log](const std::string& line) {
      sink(json_log ? log_json(nlohmann::json{{"event", "tls"}, {"message", line}})
                    : util::escape_controls(line));
    };
    options.tls = std::make_shared<const tls::TlsServerConfig>(std::move(tls_options));
  } else {
    if (mode != tls::ClientCertMode::None) {
      throw Error(Errc::Usage, fmt::format("--client-cert-mode {} needs HTTPS", tls::to_string(mode)),
                  "give --cert FILE or --self-signed");
    }
    if (!config.trust_ca_files.empty() || !config.validation_builtin.empty() ||
        !config.validation_code.empty() || !config.validation_code_path.empty()) {
      throw Error(Errc::Usage, "TLS options were given but the server has no certificate",
                  "give --cert FILE or --self-signed");
    }
    built.warnings.push_back(
        "no --cert and no --self-signed: serving plain HTTP, where no client certificate can be presented");
  }

  std::vector<SchemeConfig> schemes = config.schemes;
  if (schemes.empty()) schemes.emplace_back();
  for (const SchemeConfig& scheme : schemes) {
    auto made = make_scheme(scheme, config);
    for (const std::string& r : made->relaxations())
      relaxed.push_back(fmt::format("scheme '{}': {}", made->name(), r));
    built.description.push_back(fmt::format(
        "auth: scheme '{}': allowed certificate types {}, revocation {}, trust {}", made->name(),
        auth::to_string(made->options().allowed_types), auth::to_string(made->options().revocation_mode),
        scheme.trust_ca_files.empty() ? std::string("the system store")
                                      : fmt::format("{}", fmt::join(scheme.trust_ca_files, ", "))));
    options.schemes.push_back(std::move(made));
  }

  const std::string base_url = fmt::format(
      "{}://{}:{}", options.tls ? "https" : "http",
      options.address.find(':') != std::string::npos ? "[" + options.address + "]" : options.address,
      options.port);
  if (config.routes.empty()) {
    options.routes = tutorial_routes(options.schemes.front()->name(), base_url);
  } else {
    for (const std::string& spec : config.routes) options.routes.push_back(parse_route(spec));
  }
  for (const Route& route : options.routes) {
    built.description.push_back(fmt::format("route: {} {}{} -> {}", route.method, route.path,
                                            route.prefix ? "*" : "",
                                            route.scheme.empty() ? "public" : "auth=" + route.scheme));
  }

  if (config.log_format == "json") {
    options.log_format = LogFormat::Json;
  } else if (config.log_format != "text") {
    throw Error(Errc::Usage, fmt::format("--log-format: unknown format '{}'", config.log_format),
                "choose text or json");
  }
  options.diagnostics = config.diagnostics;
  if (config.diagnostics)
    relaxed.push_back("--diagnostics (401/403 answers carry the authentication failure)");
  if (config.max_connections < 1 || config.keep_alive_timeout_seconds < 1 ||
      config.handshake_timeout_seconds < 1 || config.read_timeout_seconds < 1) {
    throw Error(Errc::Usage, "limits and timeouts must be at least 1",
                "check --max-connections and the --*-timeout flags");
  }
  options.limits.max_connections = config.max_connections;
  options.limits.keep_alive_timeout = std::chrono::seconds(config.keep_alive_timeout_seconds);
  options.limits.handshake_timeout = std::chrono::seconds(config.handshake_timeout_seconds);
  options.limits.write_timeout = std::chrono::seconds(config.read_timeout_seconds);

  for (const std::string& r : relaxed)
    built.warnings.push_back(fmt::format("relaxed for development: {}", r));
  if (!relaxed.empty() && !is_loopback(config.address) && !config.allow_insecure_public) {
    throw Error(Errc::Usage,
                fmt::format("refusing to bind relaxed settings to the non-loopback address {}: {}",
                            config.address, fmt::join(relaxed, "; ")),
                "bind to 127.0.0.1 or ::1, make the settings strict, or pass --allow-insecure-public if you "
                "really mean it");
  }
  return built;
}

}  // namespace krtool::server
