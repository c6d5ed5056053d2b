// ServeConfig is everything `krtool serve` is told, as plain values: the flags fill it, a --config JSON
// file fills it first, and build_server_options() turns it into a running configuration (files loaded,
// policies made). Keeping it plain makes "flags override the file" a field-by-field merge.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/util/password.hpp"

namespace krtool::server {

// The configuration fields, named by their --config key. The library's errors name a field through
// ServeConfig::name_of(key), so that the user reads the name they wrote: the key's path in their file,
// or the flag that krtool serve binds to it.
namespace field {
inline constexpr std::string_view kAddress = "endpoint.address";
inline constexpr std::string_view kUrls = "endpoint.urls";
inline constexpr std::string_view kPort = "endpoint.port";
inline constexpr std::string_view kCert = "endpoint.cert";
inline constexpr std::string_view kKey = "endpoint.key";
inline constexpr std::string_view kSelfSigned = "endpoint.selfSigned";
inline constexpr std::string_view kClientCertMode = "https.clientCertificateMode";
inline constexpr std::string_view kTrustCa = "https.trustCa";
inline constexpr std::string_view kSslProtocols = "https.sslProtocols";
inline constexpr std::string_view kHandshakeTimeout = "https.handshakeTimeout";
inline constexpr std::string_view kTlsTickets = "https.tlsTickets";
inline constexpr std::string_view kCheckRevocation = "https.checkCertificateRevocation";
inline constexpr std::string_view kCrl = "https.crl";
inline constexpr std::string_view kTlsRevocationMode = "https.revocationMode";
inline constexpr std::string_view kValidation = "https.clientCertificateValidation";
inline constexpr std::string_view kValidationCode = "https.clientCertificateValidationCode";
inline constexpr std::string_view kValidationCodePath = "https.clientCertificateValidationCodePath";
inline constexpr std::string_view kValidationLanguage = "https.clientCertificateValidationLanguage";
inline constexpr std::string_view kRoutes = "routes";
inline constexpr std::string_view kPolicies = "policies";
inline constexpr std::string_view kLogFormat = "logFormat";
inline constexpr std::string_view kDiagnostics = "diagnostics";
inline constexpr std::string_view kAllowInsecurePublic = "allowInsecurePublic";
inline constexpr std::string_view kMaxConnections = "maxConnections";
inline constexpr std::string_view kThreads = "threads";
inline constexpr std::string_view kKeepAliveTimeout = "keepAliveTimeout";
inline constexpr std::string_view kReadTimeout = "readTimeout";
// A scheme's fields are keyed per scheme: scheme(0, kSchemeName) is "schemes[0].name".
inline constexpr std::string_view kSchemeName = "name";
inline constexpr std::string_view kAllowedTypes = "allowedCertificateTypes";
inline constexpr std::string_view kValidateUse = "validateCertificateUse";
inline constexpr std::string_view kValidateValidity = "validateValidityPeriod";
inline constexpr std::string_view kRevocationMode = "revocationMode";
inline constexpr std::string_view kSchemeCrl = "crl";
inline constexpr std::string_view kSchemeTrustCa = "trustCa";
std::string scheme(std::size_t index, std::string_view key);
}  // namespace field

// Bounds of the numeric settings that the file and the flags share.
inline constexpr int kMinTlsTickets = 0, kMaxTlsTickets = 16;
inline constexpr int kMinThreads = 1, kMaxThreads = 256;

struct SchemeConfig {
  std::string name = "Certificate";
  std::string allowed_certificate_types = "chained";
  bool validate_certificate_use = true;
  bool validate_validity_period = true;
  std::string revocation_mode = "online";
  std::vector<std::string> crl_files;
  std::vector<std::string> trust_ca_files;  // the scheme's custom trust store
};

struct ServeConfig {
  // endpoint
  std::string address = "127.0.0.1";
  std::optional<int> port;  // default 5000 or $PORT
  // Kestrel's URL list (urls.hpp), instead of address and port; default $ASPNETCORE_URLS when neither
  // it nor address or port is given.
  std::string urls;
  std::string cert_file, key_file;
  PasswordSource cert_password;
  bool self_signed = false;
  // HTTPS options
  std::string client_cert_mode = "none";
  std::vector<std::string> trust_ca_files;
  std::string ssl_protocols = "tls12,tls13";
  int handshake_timeout_seconds = 10;
  int tls_tickets = 1;  // TLS 1.3 session tickets per full handshake, 0 to 16
  bool check_certificate_revocation = false;
  std::vector<std::string> crl_files;  // --crl feeds both layers
  std::string tls_revocation_mode;     // online|offline; "": offline with --crl, else online
  // TLS validation: at most one
  std::string validation_builtin, validation_code, validation_code_path, validation_language;
  // authentication and routes
  std::vector<SchemeConfig> schemes;  // empty: one default "Certificate" scheme
  std::vector<std::string> routes;    // --route grammar (see routes.hpp); empty: the tutorial's three
  std::vector<std::string> policies;  // --policy grammar 'NAME: RULE; RULE…' (authorization_policy.hpp)
  // operation
  std::string log_format = "text";  // text | json
  bool diagnostics = false;
  bool allow_insecure_public = false;
  int max_connections = 512;
  std::optional<int> threads;  // event-loop threads, 1 to 256; default: one per core
  int keep_alive_timeout_seconds = 5;
  int read_timeout_seconds = 30;  // each wait for a request's bytes (ServerLimits::read_timeout)

  // origins name where fields came from, by key (field::kPort): "config 'serve.json' endpoint.port" for
  // a key read from a file, "--port" where krtool serve's flags put a value. The merge of flags over a
  // file sets them with the values.
  std::map<std::string, std::string, std::less<>> origins;
  // name_of is what an error calls a field: its origin, else its key.
  std::string name_of(std::string_view key) const;
  // given holds the keys that a file or a flag set, as opposed to those left to their defaults (which
  // have an origin too: the flag that would set them).
  std::set<std::string, std::less<>> given;
  bool was_given(std::string_view key) const { return given.find(key) != given.end(); }
};

// load_serve_config reads a --config JSON file:
// {
//   "endpoint": {"address", "port", "urls", "cert", "key", "password", "passwordFile", "passwordEnv",
//                "selfSigned"},
//   "https": {"clientCertificateMode", "trustCa": [..], "sslProtocols", "handshakeTimeout", "tlsTickets",
//             "checkCertificateRevocation", "crl": [..], "revocationMode", "clientCertificateValidation",
//             "clientCertificateValidationCode", "clientCertificateValidationCodePath",
//             "clientCertificateValidationLanguage"},
//   "schemes": [{"name", "allowedCertificateTypes", "validateCertificateUse", "validateValidityPeriod",
//                "revocationMode", "crl": [..], "trustCa": [..]}],
//   "routes": ["GET /a auth=Certificate policy=ops json:{...}", {"method", "path", "auth" (a name, or a
//              list of names tried in order), "policy", "json"|"file"|"dir"|"status"|"proxy"}],
//   "policies": {"NAME": ["RULE", {"KIND": "ARGUMENT" or ["ITEM", ...]}, ...]},
//   "logFormat", "diagnostics", "allowInsecurePublic", "maxConnections", "threads", "keepAliveTimeout",
//   "readTimeout"
// }
// A policy's rules are strings of the --policy rule grammar ("subject O=Acme", "eku clientAuth"), or
// objects of one key, the rule's kind, whose list is joined with ", ": {"thumbprint": ["3F..", "A1.."]}
// is "thumbprint 3F.., A1..". All of a policy's rules must pass.
// Relative paths are taken from the file's folder. An unknown key or a value of the wrong type is
// Error(Usage) naming the file and the key's path ("https.clientCertificateMode"); a malformed file is
// Error(Input) with the parser's line and column. Every key present is recorded in `origins`.
ServeConfig load_serve_config(const std::filesystem::path& path);

// serve_config_from_json is load_serve_config on a parsed document; `source` names it in errors.
ServeConfig serve_config_from_json(const nlohmann::json& document, const std::string& source,
                                   const std::filesystem::path& base_folder);

}  // namespace krtool::server
