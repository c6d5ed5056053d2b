// The --config file of `krtool serve`. The schema is closed: a key that krtool does not know is an
// error rather than silently ignored, because a misspelt "clientCertificateMode" would otherwise
// leave the server without client certificates and the user wondering why. Every message names the
// key's path, so that a long file points at the line to fix.
#include "krtool/server/serve_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>

#include "krtool/auth/authorization_policy.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "krtool/tls/policy.hpp"
#include "krtool/tls/server_context.hpp"
#include "krtool/util/did_you_mean.hpp"
#include "krtool/util/files.hpp"
#include "server/ca_route.hpp"
#include "util/json_depth.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace krtool::server {
namespace {

// ordered_json keeps a route's inline template in the order the user wrote it.
using Json = nlohmann::ordered_json;
using Keys = std::vector<std::string>;

// "$schema" names docs/config.schema.json for an editor's completion and checks; krtool reads the file
// against its own rules and only checks that the key holds a string.
const Keys kTopLevelKeys = {"$schema",        "endpoint",    "https",
                            "schemes",        "routes",      "policies",
                            "logFormat",      "diagnostics", "allowInsecurePublic",
                            "maxConnections", "threads",     "keepAliveTimeout",
                            "readTimeout"};
const Keys kEndpointKeys = {"address",  "port",         "urls",        "cert",      "key",
                            "password", "passwordFile", "passwordEnv", "selfSigned"};
const Keys kHttpsKeys = {"clientCertificateMode",
                         "trustCa",
                         "sslProtocols",
                         "handshakeTimeout",
                         "tlsTickets",
                         "checkCertificateRevocation",
                         "crl",
                         "revocationMode",
                         "clientCertificateValidation",
                         "clientCertificateValidationCode",
                         "clientCertificateValidationCodePath",
                         "clientCertificateValidationLanguage"};
const Keys kSchemeKeys = {"name",
                          "allowedCertificateTypes",
                          "validateCertificateUse",
                          "validateValidityPeriod",
                          "revocationMode",
                          "crl",
                          "trustCa"};
const Keys kRouteKeys = {"method", "path",   "auth",  "policy", "json", "file",
                         "dir",    "status", "proxy", "crl",    "ocsp"};

using util::lower;

bool contains(const Keys& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Where a document came from: the name used in messages, and the folder that relative paths are
// taken from. Every key found is recorded in `origins` (ServeConfig::origins).
struct Source {
  std::string name;  // "config 'serve.json'"
  fs::path folder;
  std::map<std::string, std::string, std::less<>>* origins = nullptr;

  [[noreturn]] void fail(const std::string& problem, std::string hint) const {
    throw Error(Errc::Usage, fmt::format("{}: {}", name, problem), std::move(hint));
  }

  std::string resolve(const std::string& path) const {
    if (folder.empty() || fs::path(path).is_absolute()) return path;
    return (folder / path).lexically_normal().string();
  }
};

std::string type_of(const Json& value) {
  if (value.is_number_float()) return "a fractional number";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : fmt::format("{}.{}", parent, key);
}

// unknown_key_hint proposes the near miss, or the object a top-level key belongs in, then the keys.
std::string unknown_key_hint(const std::string& key, const std::string& object_path, const Keys& keys) {
  std::string hint;
  if (const std::string near = util::closest_name(key, keys); !near.empty()) {
    hint = fmt::format("did you mean '{}'? ", near);
  } else if (object_path.empty() && contains(kEndpointKeys, key)) {
    hint = fmt::format("'{}' belongs inside \"endpoint\"; ", key);
  } else if (object_path.empty() && contains(kHttpsKeys, key)) {
    hint = fmt::format("'{}' belongs inside \"https\"; ", key);
  }
  const std::string where =
      object_path.empty() ? "the top-level keys" : fmt::format("the keys of '{}'", object_path);
  return hint + fmt::format("{} are: {}", where, fmt::join(keys, ", "));
}

// ObjectReader reads one JSON object of the schema: it rejects unknown keys when made, and each
// read_* takes a key, checks its type and stores the value only when the key is present.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, const Source& source, const Keys& keys)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object.is_object()) {
      source.fail(fmt::format("'{}' must be an object, not {}", path_.empty() ? "the document" : path_,
                              type_of(object)),
                  path_.empty() ? "the file holds one JSON object: {\"endpoint\": {...}, \"routes\": [...]}"
                                : fmt::format("write \"{}\": {{...}}", last_key()));
    }
    for (const auto& [key, value] : object.items()) {
      if (!contains(keys, key)) {
        source.fail(fmt::format("unknown key '{}'", child_path(path_, key)),
                    unknown_key_hint(key, path_, keys));
      }
      if (source.origins != nullptr) {
        (*source.origins)[child_path(path_, key)] = fmt::format("{} {}", source.name, child_path(path_, key));
      }
    }
  }

  const Json* find(const std::string& key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }
  std::string path_of(const std::string& key) const { return child_path(path_, key); }

  [[noreturn]] void wrong_type(const std::string& key, std::string_view expected,
                               std::string_view example) const {
    source_.fail(fmt::format("'{}' must be {}, not {}", path_of(key), expected, type_of(*find(key))),
                 fmt::format("write \"{}\": {}", key, example));
  }

  void read(const std::string& key, std::string& out, std::string_view example) const {
    const Json* value = find(key);
    if (value == nullptr) return;
    if (!value->is_string()) wrong_type(key, "a string", example);
    out = value->get<std::string>();
  }

  void read(const std::string& key, bool& out) const {
    const Json* value = find(key);
    if (value == nullptr) return;
    if (!value->is_boolean()) wrong_type(key, "true or false", "true");
    out = value->get<bool>();
  }

  std::optional<int> read_integer(const std::string& key, int min, int max, std::string_view example) const {
    const Json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) wrong_type(key, "an integer", example);
    // A value beyond int64_t is out of range anyway; clamp it rather than let it wrap.
    const std::int64_t number =
        value->is_number_unsigned() && value->get<std::uint64_t>() > std::uint64_t(INT64_MAX)
            ? INT64_MAX
            : value->get<std::int64_t>();
    if (number < min || number > max) {
      source_.fail(
          fmt::format("'{}' is {}; it must be between {} and {}", path_of(key), value->dump(), min, max),
          fmt::format("write \"{}\": {}", key, example));
    }
    return static_cast<int>(number);
  }

  void read(const std::string& key, int& out, int min, int max, std::string_view example) const {
    if (const std::optional<int> value = read_integer(key, min, max, example)) out = *value;
  }

  void read_path(const std::string& key, std::string& out, std::string_view example) const {
    std::string path;
    read(key, path, example);
    if (!has(key)) return;
    if (path.empty())
      source_.fail(fmt::format("'{}' is empty", path_of(key)), fmt::format("write \"{}\": {}", key, example));
    out = source_.resolve(path);
  }

  void read_paths(const std::string& key, std::vector<std::string>& out, std::string_view example) const {
    const Json* value = find(key);
    if (value == nullptr) return;
    const auto all_strings = [](const Json& array) {
      return std::all_of(array.begin(), array.end(), [](const Json& item) { return item.is_string(); });
    };
    if (!value->is_array() || !all_strings(*value)) wrong_type(key, "an array of file names", example);
    for (const Json& item : *value) {
      const std::string& path = item.get_ref<const std::string&>();
      if (path.empty())
        source_.fail(fmt::format("'{}' holds an empty file name", path_of(key)), "remove the \"\"");
      out.push_back(source_.resolve(path));
    }
  }

  // at_most_one rejects two keys of a group that the server can only use one of.
  void at_most_one(const Keys& group) const {
    std::vector<std::string> present;
    for (const std::string& key : group) {
      if (has(key)) present.push_back(path_of(key));
    }
    if (present.size() > 1) {
      source_.fail(fmt::format("'{}' and '{}' cannot be used together", present[0], present[1]),
                   "keep only one of them");
    }
  }

  // read_choice reads a string that must be one of `choices` (compared ignoring case).
  void read_choice(const std::string& key, std::string& out, const Keys& choices,
                   std::string_view example) const {
    std::string text;
    read(key, text, example);
    if (!has(key)) return;
    const bool known = std::any_of(choices.begin(), choices.end(),
                                   [&](const std::string& choice) { return lower(choice) == lower(text); });
    if (!known) {
      source_.fail(
          fmt::format("'{}' is '{}', which is not one of {}", path_of(key), text, fmt::join(choices, ", ")),
          fmt::format("write \"{}\": {}", key, example));
    }
    out = text;
  }

 private:
  std::string last_key() const { return path_.substr(path_.find_last_of('.') + 1); }

  const Json& object_;
  std::string path_;
  const Source& source_;
};

void read_endpoint(const Json& value, const Source& source, ServeConfig& config) {
  const ObjectReader endpoint(value, "endpoint", source, kEndpointKeys);
  endpoint.read("address", config.address, "\"127.0.0.1\"");
  if (const std::optional<int> port = endpoint.read_integer("port", 0, 65535, "5000")) config.port = *port;
  endpoint.read("urls", config.urls, "\"https://127.0.0.1:8443;http://127.0.0.1:8080\"");
  endpoint.at_most_one({"urls", "address"});
  endpoint.at_most_one({"urls", "port"});
  endpoint.read_path("cert", config.cert_file, "\"server.pem\"");
  endpoint.read_path("key", config.key_file, "\"server.key\"");
  endpoint.read("selfSigned", config.self_signed);
  endpoint.at_most_one({"password", "passwordFile", "passwordEnv"});
  // The password is read later, when the certificate is loaded; its messages then name this key.
  const auto password_origin = [&](const char* key) {
    return fmt::format("{} {}", source.name, endpoint.path_of(key));
  };
  if (endpoint.has("password")) {
    std::string password;
    endpoint.read("password", password, "\"test\"");
    config.cert_password = PasswordSource::value(password, password_origin("password"));
  }
  if (endpoint.has("passwordFile")) {
    std::string file;
    endpoint.read_path("passwordFile", file, "\"password.txt\"");
    config.cert_password = PasswordSource::file(file, password_origin("passwordFile"));
  }
  if (endpoint.has("passwordEnv")) {
    std::string variable;
    endpoint.read("passwordEnv", variable, "\"KRTOOL_CERT_PASSWORD\"");
    config.cert_password = PasswordSource::env(variable, password_origin("passwordEnv"));
  }
  if (endpoint.has("cert") && config.self_signed) {
    source.fail("'endpoint.cert' and 'endpoint.selfSigned' cannot be used together",
                "use your certificate, or remove \"cert\" to let serve make a development one");
  }
}

void read_https(const Json& value, const Source& source, ServeConfig& config) {
  const ObjectReader https(value, "https", source, kHttpsKeys);
  https.read_choice("clientCertificateMode", config.client_cert_mode, tls::client_cert_mode_words(),
                    "\"allow\"");
  https.read_paths("trustCa", config.trust_ca_files, "[\"dev-ca.pem\"]");
  if (const Json* protocols = https.find("sslProtocols"); protocols && protocols->is_array()) {
    const bool all_strings =
        std::all_of(protocols->begin(), protocols->end(), [](const Json& item) { return item.is_string(); });
    if (!all_strings) https.wrong_type("sslProtocols", "a string or an array of strings", "\"tls12,tls13\"");
    std::vector<std::string> names;
    for (const Json& item : *protocols) names.push_back(item.get<std::string>());
    config.ssl_protocols = fmt::format("{}", fmt::join(names, ","));
  } else if (protocols) {
    if (!protocols->is_string())
      https.wrong_type("sslProtocols", "a string or an array of strings", "\"tls12,tls13\"");
    config.ssl_protocols = protocols->get<std::string>();
  }
  https.read("handshakeTimeout", config.handshake_timeout_seconds, 1, 3600, "10");
  https.read("tlsTickets", config.tls_tickets, kMinTlsTickets, kMaxTlsTickets, "1");
  https.read("checkCertificateRevocation", config.check_certificate_revocation);
  https.read_paths("crl", config.crl_files, "[\"dev-ca.crl\"]");
  https.read("revocationMode", config.tls_revocation_mode, "\"online\"");

  https.at_most_one({"clientCertificateValidation", "clientCertificateValidationCode",
                     "clientCertificateValidationCodePath"});
  https.read_choice("clientCertificateValidation", config.validation_builtin, tls::builtin_policy_names(),
                    "\"AllowSelfSignedForDevelopment\"");
  https.read("clientCertificateValidationCode", config.validation_code, "\"return certificate != nullptr;\"");
  https.read_path("clientCertificateValidationCodePath", config.validation_code_path, "\"validate.cpp\"");
  https.read("clientCertificateValidationLanguage", config.validation_language, "\"cpp\"");
}

void read_schemes(const Json& value, const Source& source, ServeConfig& config) {
  if (!value.is_array()) {
    source.fail(fmt::format("'schemes' must be an array of objects, not {}", type_of(value)),
                "write \"schemes\": [{\"name\": \"Certificate\", \"allowedCertificateTypes\": \"all\"}]");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < value.size(); ++i) {
    const ObjectReader reader(value[i], fmt::format("schemes[{}]", i), source, kSchemeKeys);
    SchemeConfig scheme;
    reader.read("name", scheme.name, "\"Certificate\"");
    if (scheme.name.empty() || std::any_of(scheme.name.begin(), scheme.name.end(),
                                           [](unsigned char c) { return std::isspace(c) != 0; })) {
      source.fail(fmt::format("'{}' must be a name without spaces", reader.path_of("name")),
                  "write \"name\": \"Certificate\"");
    }
    if (!names.insert(scheme.name).second) {
      source.fail(fmt::format("'{}': the scheme '{}' is defined twice", reader.path_of("name"), scheme.name),
                  "give each scheme its own name");
    }
    reader.read("allowedCertificateTypes", scheme.allowed_certificate_types, "\"all\"");
    reader.read("validateCertificateUse", scheme.validate_certificate_use);
    reader.read("validateValidityPeriod", scheme.validate_validity_period);
    reader.read("revocationMode", scheme.revocation_mode, "\"nocheck\"");
    // Checked here, with the scheme's own parsers, so that a bad value is reported against its key.
    const auto where = [&](const char* key) {
      return fmt::format("{}: '{}'", source.name, reader.path_of(key));
    };
    auth::parse_allowed_types(scheme.allowed_certificate_types, where("allowedCertificateTypes"));
    auth::parse_revocation_mode(scheme.revocation_mode, where("revocationMode"));
    reader.read_paths("crl", scheme.crl_files, "[\"dev-ca.crl\"]");
    reader.read_paths("trustCa", scheme.trust_ca_files, "[\"dev-ca.pem\"]");
    config.schemes.push_back(std::move(scheme));
  }
}

bool has_space(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

// route_from_object turns {"method", "path", "auth", handler} into the --route grammar's parts.
RouteSpec route_from_object(const Json& value, const std::string& path, const Source& source) {
  const ObjectReader reader(value, path, source, kRouteKeys);
  std::string method = "GET";
  std::string route_path;
  std::string scheme;
  std::string policy;
  reader.read("method", method, "\"GET\"");
  reader.read("path", route_path, "\"/hello\"");
  // "auth": ["A", "B"] is ASP.NET's AuthenticationSchemes "A,B": tried in order.
  if (const Json* auth = reader.find("auth"); auth != nullptr && auth->is_array()) {
    std::vector<std::string> names;
    for (const Json& name : *auth) {
      if (!name.is_string() || name.get<std::string>().empty() ||
          name.get<std::string>().find(',') != std::string::npos) {
        reader.wrong_type("auth", "a scheme name or a list of them", "[\"Certificate\", \"Partner\"]");
      }
      names.push_back(name.get<std::string>());
    }
    if (names.empty()) reader.wrong_type("auth", "a scheme name or a non-empty list", "[\"Certificate\"]");
    scheme = fmt::format("{}", fmt::join(names, ","));
  } else {
    reader.read("auth", scheme, "\"Certificate\"");
  }
  reader.read("policy", policy, "\"ops\"");
  if (!reader.has("path")) {
    source.fail(fmt::format("'{}' has no \"path\"", path), "write \"path\": \"/hello\"");
  }
  const std::array<std::pair<const char*, const std::string*>, 4> words = {
      {{"method", &method}, {"path", &route_path}, {"auth", &scheme}, {"policy", &policy}}};
  for (const auto& [key, text] : words) {
    if (has_space(*text)) {
      source.fail(fmt::format("'{}' must not contain spaces", reader.path_of(key)),
                  "the route grammar separates its parts with spaces; encode a space in a path as %20");
    }
  }
  reader.at_most_one({"json", "file", "dir", "status", "proxy", "crl", "ocsp"});

  std::string text = fmt::format("{} {}", method, route_path);
  if (!scheme.empty()) text += fmt::format(" auth={}", scheme);
  if (!policy.empty()) text += fmt::format(" policy={}", policy);
  if (const Json* json = reader.find("json")) {
    if (json->is_string()) {
      text += " json:" + json->get<std::string>();
    } else if (json->is_structured()) {
      text += " json:" + json->dump();
    } else {
      reader.wrong_type("json", "an object or a string", "{\"subject\": \"{cert.subject}\"}");
    }
  }
  if (const Json* status = reader.find("status")) {
    if (!status->is_number_integer()) reader.wrong_type("status", "an integer", "204");
    text += fmt::format(" status:{}", status->dump());
  }
  for (const char* key : {"file", "dir"}) {
    std::string file;
    reader.read(key, file, "\"site/index.html\"");
    if (reader.has(key)) text += fmt::format(" {}:{}", key, file);
  }
  std::string upstream;
  reader.read("proxy", upstream, "\"http://127.0.0.1:5001\"");
  if (reader.has("proxy")) text += fmt::format(" proxy:{}", upstream);
  for (const char* key : {"crl", "ocsp"}) {
    std::string argument;
    reader.read(key, argument, "\"ca.pem,password-env=CA_PASSWORD\"");
    if (reader.has(key)) text += fmt::format(" {}:{}", key, argument);
  }
  return parse_route_spec(text, fmt::format("{} {}", source.name, path));
}

void read_routes(const Json& value, const Source& source, ServeConfig& config) {
  if (!value.is_array()) {
    source.fail(fmt::format("'routes' must be an array, not {}", type_of(value)),
                "write \"routes\": [\"GET /hello auth=Certificate json:{...}\"]");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string path = fmt::format("routes[{}]", i);
    const std::string origin = fmt::format("{} {}", source.name, path);
    RouteSpec route;
    if (value[i].is_string()) {
      route = parse_route_spec(value[i].get<std::string>(), origin);
    } else if (value[i].is_object()) {
      route = route_from_object(value[i], path, source);
    } else {
      source.fail(fmt::format("'{}' must be a route string or an object, not {}", path, type_of(value[i])),
                  "write \"GET /hello auth=Certificate\" or {\"method\": \"GET\", \"path\": \"/hello\"}");
    }
    if (route.handler == RouteSpec::HandlerKind::File || route.handler == RouteSpec::HandlerKind::Folder) {
      route.argument = source.resolve(route.argument);
    }
    if (route.handler == RouteSpec::HandlerKind::Crl || route.handler == RouteSpec::HandlerKind::Ocsp) {
      // The CA, responder and password files are relative to the config file, as file: paths are.
      detail::CaRouteArgument argument = detail::parse_ca_route_argument(
          route.argument, route.handler == RouteSpec::HandlerKind::Crl ? "crl:" : "ocsp:");
      for (std::string* file : {&argument.ca, &argument.responder, &argument.password_file}) {
        if (!file->empty()) *file = source.resolve(*file);
      }
      route.argument = detail::format_ca_route_argument(argument);
    }
    std::string text = format_route_spec(route);
    parse_route(text, origin);  // makes the handler once, so that a bad template or folder stops here
    config.routes.push_back(std::move(text));
  }
}

// policy_rule_text turns one rule of a policy's list into the rule grammar: a string as it is, an object
// {"KIND": "ARGUMENT"} or {"KIND": ["ITEM", ...]} as "KIND ARGUMENT" or "KIND ITEM, ...".
std::string policy_rule_text(const Json& rule, const std::string& path, const Source& source) {
  const std::string example = "\"subject O=Acme\" or {\"thumbprint\": [\"3F2A…\"]}";
  std::string text;
  if (rule.is_string()) {
    text = rule.get<std::string>();
  } else if (rule.is_object() && rule.size() == 1) {
    // The object's one member, by copy: items()'s proxy and its iterator are temporaries.
    const std::string kind = rule.begin().key();
    const Json& value = rule.begin().value();
    std::vector<std::string> items;
    if (value.is_string()) items.push_back(value.get<std::string>());
    if (value.is_array()) {
      for (const Json& item : value) {
        if (!item.is_string()) {
          source.fail(fmt::format("'{}.{}' must list strings, not {}", path, kind, type_of(item)),
                      fmt::format("write {}", example));
        }
        items.push_back(item.get<std::string>());
      }
    }
    if (items.empty()) {
      source.fail(fmt::format("'{}.{}' must be a string or a non-empty list of strings", path, kind),
                  fmt::format("write {}", example));
    }
    text = fmt::format("{} {}", kind, fmt::join(items, ", "));
  } else {
    source.fail(fmt::format("'{}' must be a rule string or an object of one key, not {}", path,
                            rule.is_object() ? "an object of " + std::to_string(rule.size()) + " keys"
                                             : type_of(rule)),
                fmt::format("write {}", example));
  }
  if (text.find(';') != std::string::npos) {
    source.fail(fmt::format("'{}': a rule cannot contain ';', which separates rules", path),
                "put each rule in its own list item");
  }
  return text;
}

// read_policies turns {"NAME": [rules]} into the --policy grammar, and parses each policy once, so that
// a bad rule stops here naming its key.
void read_policies(const Json& value, const Source& source, ServeConfig& config) {
  if (!value.is_object()) {
    source.fail(fmt::format("'policies' must be an object, not {}", type_of(value)),
                "write \"policies\": {\"ops\": [\"subject O=Acme\", \"eku clientAuth\"]}");
  }
  for (const auto& [name, rules] : value.items()) {
    const std::string path = fmt::format("policies.{}", name);
    if (!rules.is_array()) {
      source.fail(fmt::format("'{}' must be a list of rules, not {}", path, type_of(rules)),
                  "write \"policies\": {\"ops\": [\"subject O=Acme\", \"eku clientAuth\"]}");
    }
    std::vector<std::string> texts;
    for (size_t i = 0; i < rules.size(); ++i) {
      texts.push_back(policy_rule_text(rules[i], fmt::format("{}[{}]", path, i), source));
    }
    auth::AuthorizationPolicy(name, texts, fmt::format("{} {}", source.name, path));
    config.policies.push_back(fmt::format("{}: {}", name, fmt::join(texts, "; ")));
  }
}

ServeConfig read_document(const Json& document, Source source) {
  ServeConfig config;
  source.origins = &config.origins;
  const ObjectReader top(document, "", source, kTopLevelKeys);
  std::string schema;
  top.read("$schema", schema, "\"https://github.com/krtool/krtool/docs/config.schema.json\"");
  if (const Json* endpoint = top.find("endpoint")) read_endpoint(*endpoint, source, config);
  if (const Json* https = top.find("https")) read_https(*https, source, config);
  if (const Json* schemes = top.find("schemes")) read_schemes(*schemes, source, config);
  if (const Json* routes = top.find("routes")) read_routes(*routes, source, config);
  if (const Json* policies = top.find("policies")) read_policies(*policies, source, config);
  top.read_choice("logFormat", config.log_format, {"text", "json"}, "\"json\"");
  top.read("diagnostics", config.diagnostics);
  top.read("allowInsecurePublic", config.allow_insecure_public);
  top.read("maxConnections", config.max_connections, 1, 1000000, "512");
  if (const std::optional<int> threads = top.read_integer("threads", kMinThreads, kMaxThreads, "4"))
    config.threads = *threads;
  top.read("keepAliveTimeout", config.keep_alive_timeout_seconds, 1, 3600, "5");
  top.read("readTimeout", config.read_timeout_seconds, 1, 3600, "30");
  for (const auto& [key, origin] : config.origins) config.given.insert(key);  // only the keys present
  return config;
}

// parse_failure turns nlohmann's byte offset into the line and column an editor shows.
[[noreturn]] void parse_failure(const Json::parse_error& e, std::string_view text, const std::string& name) {
  const size_t failed_at = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
  const std::string_view before = text.substr(0, failed_at);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  const size_t column = failed_at - line_start + 1;
  // what() reads "[json.exception.parse_error.101] parse error at line 3, column 1: <reason>".
  std::string_view reason = e.what();
  if (const size_t column_at = reason.find("column "); column_at != std::string_view::npos) {
    if (const size_t colon = reason.find(": ", column_at); colon != std::string_view::npos) {
      reason.remove_prefix(colon + 2);
    }
  }
  throw Error(Errc::Input,
              fmt::format("{} is not valid JSON: line {}, column {}: {}", name, line, column, reason),
              fmt::format("fix the file near line {}, column {} (a trailing comma or a missing quote is the "
                          "usual cause)",
                          line, column));
}

}  // namespace

std::string field::scheme(std::size_t index, std::string_view key) {
  return fmt::format("schemes[{}].{}", index, key);
}

std::string ServeConfig::name_of(std::string_view key) const {
  const auto it = origins.find(key);
  return it != origins.end() ? it->second : std::string(key);
}

ServeConfig serve_config_from_json(const nlohmann::json& document, const std::string& source,
                                   const fs::path& base_folder) {
  return read_document(Json(document), Source{source, base_folder, nullptr});
}

ServeConfig load_serve_config(const fs::path& path) {
  const std::string text = files::read_file(path, "config");
  const std::string name = fmt::format("config '{}'", path.string());
  if (const auto deep = util::json_too_deep(text, /*comments=*/true)) {
    throw Error(Errc::Input,
                fmt::format("{} nests arrays and objects more than {} deep, at line {}, column {}", name,
                            util::kMaxJsonDepth, deep->line, deep->column),
                "a serve configuration needs a few levels; check the file for a runaway structure");
  }
  Json document;
  try {
    document = Json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    parse_failure(e, text, name);
  } catch (const Json::out_of_range& e) {
    // A number too large for a double: what() reads "[json.exception.out_of_range.406] number overflow
    // parsing '1e999'", with no position.
    std::string_view reason = e.what();
    if (const size_t end = reason.find("] "); end != std::string_view::npos) reason.remove_prefix(end + 2);
    throw Error(Errc::Input, fmt::format("{} is not valid JSON: {}", name, reason),
                "write the number within the range of a double (about 1.8e308)");
  }
  return read_document(document, Source{name, path.parent_path(), nullptr});
}

}  // namespace krtool::server
