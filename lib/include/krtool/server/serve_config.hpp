// ServeConfig is everything `krtool serve` is told, as plain values: the flags fill it, a --config JSON
// file fills it first, and build_server() turns it into a running configuration (files loaded,
// policies made). Keeping it plain makes "flags override the file" a field-by-field merge.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krtool/util/password.hpp"

namespace krtool::server {

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
  std::string cert_file, key_file;
  PasswordSource cert_password;
  bool self_signed = false;
  // HTTPS options
  std::string client_cert_mode = "none";
  std::vector<std::string> trust_ca_files;
  std::string ssl_protocols = "tls12,tls13";
  int handshake_timeout_seconds = 10;
  bool check_certificate_revocation = false;
  std::vector<std::string> crl_files;  // --crl feeds both layers
  // TLS validation: at most one
  std::string validation_builtin, validation_code, validation_code_path, validation_language;
  // authentication and routes
  std::vector<SchemeConfig> schemes;  // empty: one default "Certificate" scheme
  std::vector<std::string> routes;    // --route grammar (see routes.hpp); empty: the tutorial's three
  // operation
  std::string log_format = "text";  // text | json
  bool diagnostics = false;
  bool allow_insecure_public = false;
  int max_connections = 512;
  int keep_alive_timeout_seconds = 5;
  int read_timeout_seconds = 30;
};

// load_serve_config reads a --config JSON file:
// {
//   "endpoint": {"address", "port", "cert", "key", "password", "passwordFile", "passwordEnv", "selfSigned"},
//   "https": {"clientCertificateMode", "trustCa": [..], "sslProtocols", "handshakeTimeout",
//             "checkCertificateRevocation", "crl": [..], "clientCertificateValidation",
//             "clientCertificateValidationCode", "clientCertificateValidationCodePath"},
//   "schemes": [{"name", "allowedCertificateTypes", "validateCertificateUse", "validateValidityPeriod",
//                "revocationMode", "crl": [..], "trustCa": [..]}],
//   "routes": ["GET /a auth=Certificate json:{...}", {"method", "path", "auth",
//   "json"|"file"|"dir"|"status"}], "logFormat", "diagnostics", "allowInsecurePublic", "maxConnections",
//   "keepAliveTimeout", "readTimeout"
// }
// Relative paths are taken from the file's folder. An unknown key or a value of the wrong type is
// Error(Usage) naming the file and the key's path ("https.clientCertificateMode"); a malformed file is
// Error(Input) with the parser's line and column.
ServeConfig load_serve_config(const std::filesystem::path& path);

// serve_config_from_json is load_serve_config on a parsed document; `source` names it in errors.
ServeConfig serve_config_from_json(const nlohmann::json& document, const std::string& source,
                                   const std::filesystem::path& base_folder);

}  // namespace krtool::server
