#include "krtool/server/build_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "krtool/cert/builder.hpp"
#include "krtool/cert/crl.hpp"
#include "krtool/cert/dev_root.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/tls/policy.hpp"
#include "krtool/tls/policy_compiler.hpp"
#include "server/access_log.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

constexpr int kDefaultPort = 5000;

int resolve_port(const ServeConfig& config) {
  if (config.port) {
    if (*config.port < 0 || *config.port > 65535) {
      throw Error(Errc::Usage,
                  fmt::format("{}: {} is not a port", config.name_of(field::kPort), *config.port),
                  "use 0 to 65535; 0 picks a free port");
    }
    return *config.port;
  }
  if (const char* env = std::getenv("PORT"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long port = std::strtol(env, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
      throw Error(Errc::Usage, fmt::format("$PORT: '{}' is not a port", env),
                  fmt::format("unset PORT or set {}", config.name_of(field::kPort)));
    }
    return static_cast<int>(port);
  }
  return kDefaultPort;
}

// resolve_endpoints picks the listening URLs: the configured list, else $ASPNETCORE_URLS when the
// address and port were left to their defaults (Kestrel's order: explicit settings win over the
// environment), else none, and address and port apply.
std::vector<Endpoint> resolve_endpoints(const ServeConfig& config) {
  const bool address_or_port = config.port || config.was_given(field::kAddress);
  if (!config.urls.empty()) {
    if (address_or_port) {
      const std::string_view other = config.port ? field::kPort : field::kAddress;
      throw Error(Errc::Usage,
                  fmt::format("{} and {} cannot be used together", config.name_of(field::kUrls),
                              config.name_of(other)),
                  "name the endpoints one way: the URL list, or the address and port");
    }
    return parse_urls(config.urls, config.name_of(field::kUrls));
  }
  if (const char* env = std::getenv("ASPNETCORE_URLS"); env != nullptr && *env != '\0' && !address_or_port) {
    return parse_urls(env, "$ASPNETCORE_URLS");
  }
  return {};
}

void append(std::vector<std::string>& to, std::vector<std::string>&& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

std::string list_or_system_store(const std::vector<std::string>& files) {
  return files.empty() ? std::string("the system store") : fmt::format("{}", fmt::join(files, ", "));
}

// load_trust_list fails closed: a named trust file that cannot be read or holds no certificate is an
// error, never an empty list that would fall back to the system store.
std::vector<ossl::UniquePtr<X509>> load_trust_list(const std::vector<std::string>& files,
                                                   const std::string& name) {
  std::vector<ossl::UniquePtr<X509>> out;
  for (const std::string& file : files) {
    std::vector<ossl::UniquePtr<X509>> certificates;
    try {
      certificates = formats::load_certificates(file);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}: {}", name, e.what()), e.hint());
    }
    if (certificates.empty()) {
      throw Error(Errc::Input, fmt::format("{} '{}' holds no certificate", name, file),
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

// within returns `value` when it lies in [min, max], and throws Error(Usage) naming the field otherwise.
int within(const ServeConfig& config, std::string_view key, int value, int min, int max,
           std::string_view meaning) {
  if (value < min || value > max) {
    throw Error(Errc::Usage,
                fmt::format("{} is {}; it must be between {} and {}", config.name_of(key), value, min, max),
                fmt::format("{}: {}", config.name_of(key), meaning));
  }
  return value;
}

// check_validation_fields runs before anything is loaded, so that conflicting settings are reported as
// such whatever else is wrong.
void check_validation_fields(const ServeConfig& config) {
  std::vector<std::string> given;
  if (!config.validation_builtin.empty()) given.push_back(config.name_of(field::kValidation));
  if (!config.validation_code.empty()) given.push_back(config.name_of(field::kValidationCode));
  if (!config.validation_code_path.empty()) given.push_back(config.name_of(field::kValidationCodePath));
  if (given.size() > 1) {
    throw Error(
        Errc::Usage,
        fmt::format("{} cannot be combined: give one TLS validation callback", fmt::join(given, " and ")),
        "choose a built-in callback, a code snippet, or a code file");
  }
  if (!config.validation_builtin.empty()) {
    const std::vector<std::string> names = tls::builtin_policy_names();
    const bool known = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
      return util::lower(name) == util::lower(config.validation_builtin);
    });
    if (!known) {
      throw Error(Errc::Usage,
                  fmt::format("{}: unknown built-in callback '{}'", config.name_of(field::kValidation),
                              config.validation_builtin),
                  fmt::format("choose one of {}", fmt::join(names, ", ")));
    }
  }
  if (!config.validation_language.empty()) {
    const std::string language = config.name_of(field::kValidationLanguage);
    if (!config.validation_code_path.empty()) {
      throw Error(Errc::Usage,
                  fmt::format("do not give {} with {}", language, config.name_of(field::kValidationCodePath)),
                  "the language comes from the file's extension");
    }
    if (config.validation_code.empty()) {
      throw Error(Errc::Usage,
                  fmt::format("{} applies to {}, which was not given", language,
                              config.name_of(field::kValidationCode)),
                  "give the code, or leave the language out");
    }
    tls::check_validation_language(config.validation_language, language);
  }
}

// tls_fields_given names the TLS settings that were given, for a server without a certificate.
std::vector<std::string> tls_fields_given(const ServeConfig& config) {
  std::vector<std::string> given;
  if (!config.trust_ca_files.empty()) given.push_back(config.name_of(field::kTrustCa));
  if (config.check_certificate_revocation) given.push_back(config.name_of(field::kCheckRevocation));
  if (!config.validation_builtin.empty()) given.push_back(config.name_of(field::kValidation));
  if (!config.validation_code.empty()) given.push_back(config.name_of(field::kValidationCode));
  if (!config.validation_code_path.empty()) given.push_back(config.name_of(field::kValidationCodePath));
  return given;
}

// tls_revocation_mode is how --check-certificate-revocation learns a status. Kestrel's
// CheckCertificateRevocation = true means X509RevocationMode.Online, so that is the default; given --crl
// files, the user has said where the statuses are, and the default is offline (those files only).
auth::RevocationMode tls_revocation_mode(const ServeConfig& config) {
  const std::string name = config.name_of(field::kTlsRevocationMode);
  if (config.tls_revocation_mode.empty())
    return config.crl_files.empty() ? auth::RevocationMode::Online : auth::RevocationMode::Offline;
  const auth::RevocationMode mode = auth::parse_revocation_mode(config.tls_revocation_mode, name);
  if (mode == auth::RevocationMode::NoCheck) {
    throw Error(Errc::Usage, fmt::format("{}: NoCheck is not a way to check revocation", name),
                fmt::format("leave out {} instead, or choose online or offline",
                            config.name_of(field::kCheckRevocation)));
  }
  if (mode == auth::RevocationMode::Offline && config.check_certificate_revocation &&
      config.crl_files.empty()) {
    throw Error(
        Errc::Usage,
        fmt::format("{} in offline mode needs the CRLs to check against",
                    config.name_of(field::kCheckRevocation)),
        fmt::format("give {} for each issuing CA, or set {} to online", config.name_of(field::kCrl), name));
  }
  return mode;
}

cert::CertBundle load_identity(const ServeConfig& config, const PasswordPrompt& prompt) {
  formats::LoadOptions load;
  load.password = read_password(config.cert_password);
  load.key_path = config.key_file;
  load.sibling_key = true;
  load.prompt = prompt;
  cert::CertBundle identity = formats::load_bundle(config.cert_file, load);
  if (!identity.key) {
    throw Error(Errc::Input,
                fmt::format("{} '{}' has no private key", config.name_of(field::kCert), config.cert_file),
                fmt::format("give a PFX with its key, or set {} for a PEM certificate (krtool also looks for "
                            "<base>.key beside it)",
                            config.name_of(field::kKey)));
  }
  return identity;
}

struct MadePolicy {
  std::shared_ptr<const tls::ClientCertPolicy> policy;  // null: strict validation
  std::string origin;                                   // for compiled code: where it came from
};

MadePolicy make_policy(const ServeConfig& config) {
  if (!config.validation_code.empty() || !config.validation_code_path.empty()) {
    const tls::LoadedPolicy loaded =
        tls::load_validation_code(tls::ValidationCode{config.validation_code, config.validation_code_path});
    return MadePolicy{loaded.policy, loaded.describe()};
  }
  if (config.validation_builtin.empty()) return {};
  return MadePolicy{tls::builtin_policy(config.validation_builtin), ""};
}

std::shared_ptr<const auth::CertificateScheme> make_scheme(const ServeConfig& config, size_t index,
                                                           const SchemeConfig& scheme, const LogSink& log) {
  const auto name_of = [&](std::string_view key) { return config.name_of(field::scheme(index, key)); };
  auth::CertificateSchemeOptions options;
  options.name = scheme.name;
  if (options.name.empty()) {
    throw Error(Errc::Usage, fmt::format("{}: the scheme needs a name", name_of(field::kSchemeName)),
                "e.g. Certificate");
  }
  options.allowed_types =
      auth::parse_allowed_types(scheme.allowed_certificate_types, name_of(field::kAllowedTypes));
  options.revocation_mode =
      auth::parse_revocation_mode(scheme.revocation_mode, name_of(field::kRevocationMode));
  options.validate_certificate_use = scheme.validate_certificate_use;
  options.validate_validity_period = scheme.validate_validity_period;
  options.custom_trust_store = load_trust_list(scheme.trust_ca_files, name_of(field::kSchemeTrustCa));
  // The top-level CRLs feed both layers; a scheme's own replace them.
  options.crls = load_crl_list(scheme.crl_files.empty() ? config.crl_files : scheme.crl_files);
  // Offline mode follows the files: a CA publishing a new CRL is heard at the next request.
  options.crl_files = scheme.crl_files.empty() ? config.crl_files : scheme.crl_files;
  if (log) {
    options.crl_log = [log, name = scheme.name](const std::string& line) {
      log(fmt::format("krtool: scheme '{}': {}", name, line));
    };
  }
  if (options.revocation_mode == auth::RevocationMode::Offline && options.crls.empty()) {
    throw Error(
        Errc::Usage,
        fmt::format("scheme '{}': {} offline needs a CRL", scheme.name, name_of(field::kRevocationMode)),
        fmt::format("give the CRL of each issuing CA with {}, or use revocation mode nocheck for "
                    "development",
                    config.name_of(field::kCrl)));
  }
  return std::make_shared<const auth::CertificateScheme>(std::move(options));
}

cert::CertBundle copy_identity(const cert::CertBundle& identity) {
  cert::CertBundle copy;
  copy.certificate = ossl::up_ref(identity.certificate.get());
  copy.key = ossl::up_ref(identity.key.get());
  for (const auto& member : identity.chain) copy.chain.push_back(ossl::up_ref(member.get()));
  return copy;
}

// setting_names lets the TLS layer name its settings as the user wrote them.
tls::SettingNames setting_names(const ServeConfig& config) {
  tls::SettingNames names;
  names.certificate = config.name_of(field::kCert);
  names.key = config.name_of(field::kKey);
  names.mode = config.name_of(field::kClientCertMode);
  names.check_certificate_revocation = config.name_of(field::kCheckRevocation);
  names.revocation_mode = config.name_of(field::kTlsRevocationMode);
  names.crls = config.name_of(field::kCrl);
  return names;
}

// tls_layer is build_tls_layer, and with `previous` reload_tls_layer.
TlsLayer tls_layer(const ServeConfig& config, const PasswordPrompt& prompt, LogSink log,
                   const tls::TlsServerConfig* previous) {
  const tls::ClientCertMode mode =
      tls::parse_client_cert_mode(config.client_cert_mode, config.name_of(field::kClientCertMode));
  check_validation_fields(config);
  const std::string cert_name = config.name_of(field::kCert);
  const std::string self_signed_name = config.name_of(field::kSelfSigned);
  TlsLayer layer;
  if (!config.self_signed && config.cert_file.empty()) {
    if (mode != tls::ClientCertMode::None) {
      throw Error(
          Errc::Usage,
          fmt::format("{} {} needs HTTPS", config.name_of(field::kClientCertMode), tls::to_string(mode)),
          fmt::format("set {} or {}", cert_name, self_signed_name));
    }
    if (const std::vector<std::string> given = tls_fields_given(config); !given.empty()) {
      throw Error(Errc::Usage,
                  fmt::format("{} given but the server has no certificate", fmt::join(given, ", ")),
                  fmt::format("set {} or {}", cert_name, self_signed_name));
    }
    layer.notes.warnings.push_back(
        fmt::format("no {} and no {}: serving plain HTTP, where no client certificate can be presented",
                    cert_name, self_signed_name));
    return layer;
  }
  if (config.self_signed && !config.cert_file.empty()) {
    throw Error(Errc::Usage, fmt::format("{} and {} cannot be combined", self_signed_name, cert_name),
                "give one server certificate");
  }
  const auth::RevocationMode revocation_mode = tls_revocation_mode(config);

  tls::ServerTlsOptions options;
  if (config.self_signed && previous != nullptr) {
    options.identity = copy_identity(previous->options().identity);  // no file to re-read
  } else if (config.self_signed) {
    cert::DevelopmentRoot stored = cert::development_root(cert::DevelopmentRootOptions{});
    options.identity = cert::create_development_leaf(cert::DevelopmentSpec{}, stored.root);
    layer.development_root = std::move(stored.root);
  } else {
    options.identity = load_identity(config, prompt);
  }
  options.names = setting_names(config);
  options.mode = mode;
  options.trust_ca = load_trust_list(config.trust_ca_files, config.name_of(field::kTrustCa));
  options.check_certificate_revocation = config.check_certificate_revocation;
  options.revocation_mode = revocation_mode;
  options.crls = load_crl_list(config.crl_files);
  options.ssl_protocols = config.ssl_protocols;
  options.tls13_tickets =
      within(config, field::kTlsTickets, config.tls_tickets, kMinTlsTickets, kMaxTlsTickets,
             "TLS 1.3 session tickets per full handshake; 0 disables them");
  // The handshake timeout is the client's whole budget; the validation code's call is part of it.
  options.validation_deadline = std::chrono::seconds(config.handshake_timeout_seconds);
  // A reload keeps the policy: validation code is compiled once, at start-up.
  MadePolicy policy = previous != nullptr ? MadePolicy{previous->options().policy, ""} : make_policy(config);
  options.policy = std::move(policy.policy);
  if (options.policy && options.policy->is_relaxed()) {
    layer.notes.relaxed.push_back(fmt::format("TLS validation callback {}", options.policy->name()));
  }
  layer.notes.description.push_back(
      fmt::format("tls: client certificates {}; trusted issuers: {}; validation: {}{}", tls::to_string(mode),
                  list_or_system_store(config.trust_ca_files),
                  options.policy ? options.policy->name() : std::string("strict (a chain without errors)"),
                  !config.check_certificate_revocation ? ""
                  : revocation_mode == auth::RevocationMode::Online
                      ? "; revocation checked online (OCSP, then the CRL distribution point)"
                      : fmt::format("; revocation checked against {}", config.name_of(field::kCrl))));
  if (!policy.origin.empty()) layer.notes.description.push_back(fmt::format("tls: {}", policy.origin));
  options.log = [sink = std::move(log), json = config.log_format == "json"](const std::string& line) {
    sink(json ? log_json(nlohmann::json{{"event", "tls"}, {"message", line}}) : util::escape_controls(line));
  };
  if (previous != nullptr) {
    options.log = previous->options().log;
    options.now = previous->options().now;
  }
  layer.config = std::make_shared<const tls::TlsServerConfig>(std::move(options));
  return layer;
}

}  // namespace

TlsLayer build_tls_layer(const ServeConfig& config, const PasswordPrompt& prompt, LogSink log) {
  return tls_layer(config, prompt, std::move(log), nullptr);
}

std::shared_ptr<const tls::TlsServerConfig> reload_tls_layer(const ServeConfig& config,
                                                             const PasswordPrompt& prompt, LogSink log,
                                                             const tls::TlsServerConfig& previous) {
  return tls_layer(config, prompt, std::move(log), &previous).config;
}

AuthLayer build_auth_schemes(const ServeConfig& config, LogSink log) {
  std::vector<SchemeConfig> schemes = config.schemes;
  if (schemes.empty()) schemes.emplace_back();
  AuthLayer layer;
  for (size_t i = 0; i < schemes.size(); ++i) {
    auto made = make_scheme(config, i, schemes[i], log);
    for (const std::string& r : made->relaxations())
      layer.notes.relaxed.push_back(fmt::format("scheme '{}': {}", made->name(), r));
    layer.notes.description.push_back(fmt::format(
        "auth: scheme '{}': allowed certificate types {}, revocation {}, trust {}", made->name(),
        auth::to_string(made->options().allowed_types), auth::to_string(made->options().revocation_mode),
        list_or_system_store(schemes[i].trust_ca_files)));
    layer.schemes.push_back(std::move(made));
  }
  return layer;
}

PolicySet build_policies(const ServeConfig& config) {
  PolicySet set;
  const std::string origin = config.name_of(field::kPolicies);
  for (const std::string& spec : config.policies) {
    auto policy = std::make_shared<const auth::AuthorizationPolicy>(auth::parse_policy(spec, origin));
    for (const auto& earlier : set.policies) {
      if (earlier->name() == policy->name()) {
        throw Error(Errc::Usage, fmt::format("{}: policy '{}' is defined twice", origin, policy->name()),
                    "give each policy its own name, or put all its rules in one declaration");
      }
    }
    set.notes.description.push_back(
        fmt::format("policy: {}: {}", policy->name(), fmt::join(policy->rules(), "; ")));
    set.policies.push_back(std::move(policy));
  }
  return set;
}

RouteTable build_routes(const ServeConfig& config, const std::string& first_scheme,
                        const std::string& base_url) {
  RouteTable table;
  if (config.routes.empty()) {
    table.routes = tutorial_routes(first_scheme, base_url);
  } else {
    const std::string origin = config.name_of(field::kRoutes);
    for (const std::string& spec : config.routes) table.routes.push_back(parse_route(spec, origin));
  }
  for (const Route& route : table.routes) {
    table.notes.description.push_back(fmt::format("route: {} {}{} -> {}{}", route.method, route.path,
                                                  route.prefix ? "*" : "",
                                                  route.scheme.empty() ? "public" : "auth=" + route.scheme,
                                                  route.policy.empty() ? "" : " policy=" + route.policy));
  }
  return table;
}

ServerLimits build_limits(const ServeConfig& config) {
  const auto at_least_one = [&](int value, std::string_view key) {
    if (value < 1) {
      throw Error(Errc::Usage, fmt::format("{} is {}; it must be at least 1", config.name_of(key), value),
                  "limits count connections and timeouts count seconds");
    }
    return value;
  };
  ServerLimits limits;
  limits.max_connections = at_least_one(config.max_connections, field::kMaxConnections);
  limits.keep_alive_timeout =
      std::chrono::seconds(at_least_one(config.keep_alive_timeout_seconds, field::kKeepAliveTimeout));
  limits.handshake_timeout =
      std::chrono::seconds(at_least_one(config.handshake_timeout_seconds, field::kHandshakeTimeout));
  limits.read_timeout = std::chrono::seconds(at_least_one(config.read_timeout_seconds, field::kReadTimeout));
  if (config.threads) {
    limits.threads = within(config, field::kThreads, *config.threads, kMinThreads, kMaxThreads,
                            "event-loop threads that serve all connections; leave it out for one per core");
  }
  return limits;
}

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

std::vector<std::string> check_exposure(const ServeConfig& config, const DevServerOptions& options,
                                        const std::vector<std::string>& relaxed) {
  std::vector<std::string> addresses;
  for (const Endpoint& endpoint : options.endpoints) addresses.push_back(endpoint.address);
  if (options.endpoints.empty()) addresses.push_back(options.address);
  const auto exposed = std::find_if(addresses.begin(), addresses.end(),
                                    [](const std::string& address) { return !is_loopback(address); });
  if (!relaxed.empty() && exposed != addresses.end() && !config.allow_insecure_public) {
    const std::string_view where = options.endpoints.empty() ? field::kAddress : field::kUrls;
    throw Error(Errc::Usage,
                fmt::format("refusing to bind relaxed settings to the non-loopback address {}: {}", *exposed,
                            fmt::join(relaxed, "; ")),
                fmt::format("bind {} to 127.0.0.1 or ::1, make the settings strict, or set {} if you really "
                            "mean it",
                            config.name_of(where), config.name_of(field::kAllowInsecurePublic)));
  }
  std::vector<std::string> warnings;
  for (const std::string& r : relaxed) warnings.push_back(fmt::format("relaxed for development: {}", r));
  return warnings;
}

namespace {

// names_revocation_source tells whether a certificate names where to ask about revocation: a CRL
// distribution point or an OCSP responder.
bool names_revocation_source(X509* certificate) {
  if (X509_get_ext_by_NID(certificate, NID_crl_distribution_points, -1) >= 0) return true;
  STACK_OF(OPENSSL_STRING)* ocsp = X509_get1_ocsp(certificate);
  const bool has_ocsp = ocsp != nullptr && sk_OPENSSL_STRING_num(ocsp) > 0;
  X509_email_free(ocsp);
  return has_ocsp;
}

}  // namespace

std::vector<std::string> warn_about_doomed_setups(const DevServerOptions& options,
                                                  const ServeConfig& config) {
  std::vector<std::string> warnings;
  const auto protected_route = std::find_if(options.routes.begin(), options.routes.end(),
                                            [](const Route& route) { return !route.scheme.empty(); });
  const bool no_client_certificates =
      !options.tls || options.tls->options().mode == tls::ClientCertMode::None;
  if (protected_route != options.routes.end() && no_client_certificates) {
    warnings.push_back(fmt::format(
        "every call to a protected route ({} {}, auth={}) will be 401: {}, so no client sends a certificate; "
        "set {} allow or require",
        protected_route->method, protected_route->path, protected_route->scheme,
        options.tls ? fmt::format("{} is none", config.name_of(field::kClientCertMode))
                    : "the server speaks plain HTTP",
        options.tls ? config.name_of(field::kClientCertMode) : config.name_of(field::kCert)));
  }
  for (size_t i = 0; i < options.schemes.size(); ++i) {
    const auth::CertificateSchemeOptions& scheme = options.schemes[i]->options();
    if (scheme.revocation_mode != auth::RevocationMode::Online) continue;
    // The CAs this scheme trusts: its own list, else the TLS layer's; the system store is not judged.
    const std::vector<ossl::UniquePtr<X509>>& trusted = !scheme.custom_trust_store.empty() || !options.tls
                                                            ? scheme.custom_trust_store
                                                            : options.tls->options().trust_ca;
    if (trusted.empty()) continue;
    if (std::none_of(trusted.begin(), trusted.end(),
                     [](const ossl::UniquePtr<X509>& ca) { return names_revocation_source(ca.get()); })) {
      const std::string mode_field = config.name_of(field::scheme(i, field::kRevocationMode));
      warnings.push_back(fmt::format(
          "scheme '{}': {} is online, but none of its {} trusted CA certificate{} names a CRL distribution "
          "point or an OCSP responder, so certificates they issue likely name none either and will fail as "
          "RevocationStatusUnknown; set {} nocheck for development, or offline with {}",
          scheme.name, mode_field, trusted.size(), trusted.size() == 1 ? "" : "s", mode_field,
          config.name_of(field::kCrl)));
    }
  }
  return warnings;
}

BuiltServer build_server_options(const ServeConfig& config, const PasswordPrompt& prompt, LogSink log) {
  BuiltServer built;
  BuildNotes notes;
  const auto take = [&notes](BuildNotes&& step) {
    append(notes.description, std::move(step.description));
    append(notes.relaxed, std::move(step.relaxed));
    append(notes.warnings, std::move(step.warnings));
  };
  DevServerOptions& options = built.options;
  options.log = log ? std::move(log) : stderr_log();
  options.endpoints = resolve_endpoints(config);
  if (options.endpoints.empty()) {
    options.address = config.address;
    options.port = resolve_port(config);
  }
  if (config.log_format == "json") {
    options.log_format = LogFormat::Json;
  } else if (config.log_format != "text") {
    throw Error(Errc::Usage,
                fmt::format("{}: unknown format '{}'", config.name_of(field::kLogFormat), config.log_format),
                "choose text or json");
  }

  TlsLayer tls_layer = build_tls_layer(config, prompt, options.log);
  options.tls = std::move(tls_layer.config);
  built.development_root = std::move(tls_layer.development_root);
  take(std::move(tls_layer.notes));

  AuthLayer auth = build_auth_schemes(config, options.log);
  options.schemes = std::move(auth.schemes);
  take(std::move(auth.notes));

  PolicySet policies = build_policies(config);
  options.policies = std::move(policies.policies);
  take(std::move(policies.notes));

  // The tutorial's answers show the URL of the first endpoint, the one the listening line names first.
  const std::string base_url =
      endpoint_url(options.endpoints.empty() ? Endpoint{options.address, options.port, options.tls != nullptr}
                                             : options.endpoints.front());
  if (options.tls && !options.endpoints.empty() &&
      std::none_of(options.endpoints.begin(), options.endpoints.end(),
                   [](const Endpoint& endpoint) { return endpoint.https; })) {
    notes.warnings.push_back(fmt::format("{} has no https:// URL, so the server certificate is not used",
                                         config.name_of(field::kUrls)));
  }
  RouteTable routes = build_routes(config, options.schemes.front()->name(), base_url);
  options.routes = std::move(routes.routes);
  take(std::move(routes.notes));

  options.diagnostics = config.diagnostics;
  if (config.diagnostics) {
    notes.relaxed.push_back(fmt::format("{} (401/403 answers carry the authentication failure)",
                                        config.name_of(field::kDiagnostics)));
  }
  options.limits = build_limits(config);

  built.description = std::move(notes.description);
  built.warnings = std::move(notes.warnings);
  append(built.warnings, warn_about_doomed_setups(options, config));
  append(built.warnings, check_exposure(config, options, notes.relaxed));
  return built;
}

}  // namespace krtool::server
