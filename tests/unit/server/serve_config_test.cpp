#include "krtool/server/serve_config.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using krtool::server_test::error_from;
using krtool::server_test::write_text;

namespace fs = std::filesystem;

namespace {

// A config folder beside the test's working folder, so that "relative to the file" and "relative to
// the current folder" give different answers.
struct ConfigDir {
  test::TempDir dir;
  fs::path folder = dir / "conf";

  ConfigDir() { fs::create_directories(folder / "site"); }

  fs::path write(const std::string& text, const std::string& name = "serve.json") const {
    write_text(folder / name, text);
    return folder / name;
  }
  std::string in_folder(const std::string& name) const { return (folder / name).string(); }
};

Error config_error(const ConfigDir& config, const std::string& text) {
  const fs::path file = config.write(text);
  return error_from([&] { load_serve_config(file); });
}

}  // namespace

TEST_CASE("a full config file fills every field, with paths taken from the file's folder",
          "[server][config]") {
  const ConfigDir config;
  write_text(config.folder / "site" / "index.html", "<p>hi</p>");
  const fs::path file = config.write(R"({
    // comments are allowed, so that a config can say why
    "endpoint": {"address": "0.0.0.0", "port": 5443, "cert": "certs/server.pem", "key": "certs/server.key",
                 "passwordFile": "secrets/pw.txt", "selfSigned": false},
    "https": {"clientCertificateMode": "AllowCertificate", "trustCa": ["ca/dev-ca.pem", "/etc/ssl/other.pem"],
              "sslProtocols": ["tls13"], "handshakeTimeout": 7, "checkCertificateRevocation": true,
              "crl": ["ca/dev.crl"], "clientCertificateValidationCodePath": "policy/validate.cpp"},
    "schemes": [{"name": "Certificate", "allowedCertificateTypes": "All", "validateCertificateUse": false,
                 "validateValidityPeriod": false, "revocationMode": "NoCheck", "crl": ["ca/dev.crl"],
                 "trustCa": ["ca/client.pem"]},
                {"name": "Partners"}],
    "routes": [
      "GET /hello auth=Certificate json:{\"subject\": \"{cert.subject}\"}",
      {"method": "post", "path": "/me", "auth": "Partners", "json": {"z": "{user.name}", "a": "{claims}"}},
      {"path": "/site", "dir": "site"},
      {"path": "/page", "file": "site/index.html"},
      {"method": "DELETE", "path": "/gone", "status": 410},
      {"path": "/echo"}
    ],
    "logFormat": "json", "diagnostics": true, "allowInsecurePublic": true,
    "maxConnections": 64, "keepAliveTimeout": 2, "readTimeout": 9
  })");

  const ServeConfig c = load_serve_config(file);
  CHECK(c.address == "0.0.0.0");
  CHECK(c.port == 5443);
  CHECK(c.cert_file == config.in_folder("certs/server.pem"));
  CHECK(c.key_file == config.in_folder("certs/server.key"));
  CHECK(c.cert_password.kind == PasswordSource::Kind::File);
  CHECK(c.cert_password.argument == config.in_folder("secrets/pw.txt"));
  CHECK(c.cert_password.flag == fmt::format("config '{}' endpoint.passwordFile", file.string()));
  CHECK_FALSE(c.self_signed);

  CHECK(c.client_cert_mode == "AllowCertificate");
  CHECK(c.trust_ca_files ==
        std::vector<std::string>{config.in_folder("ca/dev-ca.pem"), "/etc/ssl/other.pem"});
  CHECK(c.ssl_protocols == "tls13");
  CHECK(c.handshake_timeout_seconds == 7);
  CHECK(c.check_certificate_revocation);
  CHECK(c.crl_files == std::vector<std::string>{config.in_folder("ca/dev.crl")});
  CHECK(c.validation_code_path == config.in_folder("policy/validate.cpp"));
  CHECK(c.validation_builtin.empty());

  REQUIRE(c.schemes.size() == 2);
  CHECK(c.schemes[0].name == "Certificate");
  CHECK(c.schemes[0].allowed_certificate_types == "All");
  CHECK_FALSE(c.schemes[0].validate_certificate_use);
  CHECK_FALSE(c.schemes[0].validate_validity_period);
  CHECK(c.schemes[0].revocation_mode == "NoCheck");
  CHECK(c.schemes[0].crl_files == std::vector<std::string>{config.in_folder("ca/dev.crl")});
  CHECK(c.schemes[0].trust_ca_files == std::vector<std::string>{config.in_folder("ca/client.pem")});
  CHECK(c.schemes[1].name == "Partners");
  CHECK(c.schemes[1].allowed_certificate_types == "chained");
  CHECK(c.schemes[1].validate_certificate_use);

  REQUIRE(c.routes.size() == 6);
  CHECK(c.routes[0] == "GET /hello auth=Certificate json:{\"subject\": \"{cert.subject}\"}");
  CHECK(c.routes[1] == "POST /me auth=Partners json:{\"z\":\"{user.name}\",\"a\":\"{claims}\"}");
  CHECK(c.routes[2] == "GET /site dir:" + config.in_folder("site"));
  CHECK(c.routes[3] == "GET /page file:" + config.in_folder("site/index.html"));
  CHECK(c.routes[4] == "DELETE /gone status:410");
  CHECK(c.routes[5] == "GET /echo");
  for (const std::string& route : c.routes) {
    INFO(route);
    CHECK_NOTHROW(parse_route(route));
  }
  const Route page = parse_route(c.routes[3]);
  CHECK(page.handler->handle(server_test::request("GET", "/page")).body == "<p>hi</p>");

  CHECK(c.log_format == "json");
  CHECK(c.diagnostics);
  CHECK(c.allow_insecure_public);
  CHECK(c.max_connections == 64);
  CHECK(c.keep_alive_timeout_seconds == 2);
  CHECK(c.read_timeout_seconds == 9);
}

TEST_CASE("an empty config object keeps every default", "[server][config]") {
  const ConfigDir config;
  const ServeConfig c = load_serve_config(config.write("{}"));
  const ServeConfig defaults;
  CHECK(c.address == defaults.address);
  CHECK_FALSE(c.port.has_value());
  CHECK_FALSE(c.cert_password.specified());
  CHECK(c.client_cert_mode == "none");
  CHECK(c.schemes.empty());
  CHECK(c.routes.empty());
  CHECK(c.max_connections == defaults.max_connections);
}

TEST_CASE("a \"$schema\" key for editors is accepted when it is a string, and changes nothing",
          "[server][config]") {
  const ConfigDir config;
  const ServeConfig c = load_serve_config(config.write(
      R"({"$schema": "../docs/config.schema.json", "https": {"clientCertificateMode": "allow"}})"));
  CHECK(c.client_cert_mode == "allow");
  const Error wrong = config_error(config, R"({"$schema": 2})");
  CHECK_THAT(wrong.what(), Catch::Contains("'$schema' must be a string, not a number"));
}

TEST_CASE("string routes in a config have their file and folder paths taken from the file's folder",
          "[server][config]") {
  const ConfigDir config;
  const ServeConfig c = load_serve_config(config.write(R"({"routes": ["GET /s auth=Certificate dir:./site/",
                                                                      "GET /f file:../outside.txt",
                                                                      "GET /abs file:/srv/a.txt"]})"));
  CHECK(c.routes[0] == "GET /s auth=Certificate dir:" + config.in_folder("site/"));
  CHECK(c.routes[1] == "GET /f file:" + (config.dir / "outside.txt").string());
  CHECK(c.routes[2] == "GET /abs file:/srv/a.txt");
}

TEST_CASE("a route object may name a proxy upstream, kept as written", "[server][config]") {
  const ConfigDir config;
  const ServeConfig c = load_serve_config(config.write(
      R"({"routes": [{"method": "GET", "path": "/api", "auth": "Certificate", "proxy": "http://127.0.0.1:5001/app"},
                     "POST /hook proxy:http://127.0.0.1:5002"]})"));
  REQUIRE(c.routes.size() == 2);
  CHECK(c.routes[0] == "GET /api auth=Certificate proxy:http://127.0.0.1:5001/app");
  CHECK(c.routes[1] == "POST /hook proxy:http://127.0.0.1:5002");
  const Error both = error_from([&] {
    load_serve_config(
        config.write(R"({"routes": [{"path": "/x", "proxy": "http://127.0.0.1:1", "status": 204}]})"));
  });
  CHECK(both.code() == Errc::Usage);
}

TEST_CASE("a parsed document uses the folder it is given for relative paths", "[server][config]") {
  const nlohmann::json document = {{"endpoint", {{"cert", "a.pem"}, {"passwordEnv", "PW"}}},
                                   {"https", {{"trustCa", {"ca.pem"}}}}};
  const ServeConfig c = serve_config_from_json(document, "config 'inline'", "/srv/krtool");
  CHECK(c.cert_file == "/srv/krtool/a.pem");
  CHECK(c.cert_password.kind == PasswordSource::Kind::Env);
  CHECK(c.cert_password.argument == "PW");
  CHECK(c.trust_ca_files == std::vector<std::string>{"/srv/krtool/ca.pem"});

  const ServeConfig here = serve_config_from_json(document, "config 'inline'", "");
  CHECK(here.cert_file == "a.pem");
}

TEST_CASE("an unknown key is a usage error naming its path, the near miss and the valid keys",
          "[server][config][errors]") {
  const ConfigDir config;
  const Error e = config_error(config, R"({"https": {"clientCertificateMod": "allow"}})");
  CHECK(e.code() == Errc::Usage);
  CHECK(std::string(e.what()) ==
        fmt::format("config '{}': unknown key 'https.clientCertificateMod'", config.in_folder("serve.json")));
  CHECK_THAT(e.hint(), Catch::StartsWith("did you mean 'clientCertificateMode'?"));
  CHECK_THAT(e.hint(), Catch::Contains("the keys of 'https' are: clientCertificateMode, trustCa,"));

  const Error far = config_error(config, R"({"https": {"clientCertMode": "allow"}})");
  CHECK_THAT(far.what(), Catch::EndsWith("unknown key 'https.clientCertMode'"));
  CHECK_THAT(far.hint(), !Catch::Contains("did you mean"));
  CHECK_THAT(far.hint(), Catch::Contains("clientCertificateValidationCodePath"));
}

TEST_CASE("unknown keys are found at every level of the config", "[server][config][errors]") {
  const ConfigDir config;
  struct Case {
    const char* text;
    const char* key_path;
    const char* hint;
  };
  for (const Case& c : {
           Case{R"({"endpoints": {}})", "endpoints", "did you mean 'endpoint'?"},
           Case{R"({"port": 5000})", "port", "'port' belongs inside \"endpoint\""},
           Case{R"({"trustCa": ["a.pem"]})", "trustCa", "'trustCa' belongs inside \"https\""},
           Case{R"({"endpoint": {"certificate": "a.pem"}})", "endpoint.certificate",
                "the keys of 'endpoint' are"},
           Case{R"({"schemes": [{}, {"revocationmode": "offline"}]})", "schemes[1].revocationmode",
                "did you mean 'revocationMode'?"},
           Case{R"({"routes": [{"path": "/a", "handler": "x"}]})", "routes[0].handler",
                "the keys of 'routes[0]' are"},
       }) {
    INFO(c.text);
    const Error e = config_error(config, c.text);
    CHECK(e.code() == Errc::Usage);
    CHECK_THAT(e.what(), Catch::EndsWith(fmt::format("unknown key '{}'", c.key_path)));
    CHECK_THAT(e.hint(), Catch::Contains(c.hint));
  }
}

TEST_CASE("a value of the wrong type is a usage error naming the key and the expected type",
          "[server][config][errors]") {
  const ConfigDir config;
  struct Case {
    const char* text;
    const char* problem;
  };
  for (const Case& c : {
           Case{R"({"endpoint": {"port": "5000"}})", "'endpoint.port' must be an integer, not a string"},
           Case{R"({"endpoint": {"selfSigned": "yes"}})",
                "'endpoint.selfSigned' must be true or false, not a string"},
           Case{R"({"endpoint": []})", "'endpoint' must be an object, not an array"},
           Case{R"({"https": {"trustCa": "ca.pem"}})",
                "'https.trustCa' must be an array of file names, not a string"},
           Case{R"({"https": {"crl": ["a.crl", 3]}})",
                "'https.crl' must be an array of file names, not an array"},
           Case{R"({"https": {"sslProtocols": 13}})",
                "'https.sslProtocols' must be a string or an array of strings, not a number"},
           Case{R"({"https": {"handshakeTimeout": 1.5}})",
                "'https.handshakeTimeout' must be an integer, not a fractional number"},
           Case{R"({"schemes": {"name": "x"}})", "'schemes' must be an array of objects, not an object"},
           Case{R"({"schemes": [{"validateCertificateUse": "false"}]})",
                "'schemes[0].validateCertificateUse' must be true or false, not a string"},
           Case{R"({"schemes": ["Certificate"]})", "'schemes[0]' must be an object, not a string"},
           Case{R"({"routes": "GET /a"})", "'routes' must be an array, not a string"},
           Case{R"({"routes": ["GET /a", 7]})",
                "'routes[1]' must be a route string or an object, not a number"},
           Case{R"({"routes": [{"path": "/a", "status": "204"}]})",
                "'routes[0].status' must be an integer, not a string"},
           Case{R"({"routes": [{"path": "/a", "json": 3}]})",
                "'routes[0].json' must be an object or a string, not a number"},
           Case{R"({"routes": [{"path": 3}]})", "'routes[0].path' must be a string, not a number"},
           Case{R"({"maxConnections": null})", "'maxConnections' must be an integer, not null"},
           Case{R"({"diagnostics": 1})", "'diagnostics' must be true or false, not a number"},
           Case{R"([])", "'the document' must be an object, not an array"},
       }) {
    INFO(c.text);
    const Error e = config_error(config, c.text);
    CHECK(e.code() == Errc::Usage);
    CHECK(std::string(e.what()) == fmt::format("config '{}': {}", config.in_folder("serve.json"), c.problem));
    CHECK_FALSE(e.hint().empty());
  }
}

TEST_CASE("values out of range or not among the choices are usage errors naming the key",
          "[server][config][errors]") {
  const ConfigDir config;
  struct Case {
    const char* text;
    const char* problem;
  };
  for (const Case& c : {
           Case{R"({"endpoint": {"port": 70000}})",
                "'endpoint.port' is 70000; it must be between 0 and 65535"},
           Case{R"({"endpoint": {"port": -1}})", "'endpoint.port' is -1; it must be between 0 and 65535"},
           Case{R"({"endpoint": {"port": 18446744073709551615}})",
                "'endpoint.port' is 18446744073709551615; it must be between 0 and 65535"},
           Case{R"({"readTimeout": 0})", "'readTimeout' is 0; it must be between 1 and 3600"},
           Case{R"({"keepAliveTimeout": 0})", "'keepAliveTimeout' is 0; it must be between 1 and 3600"},
           Case{R"({"threads": 0})", "'threads' is 0; it must be between 1 and 256"},
           Case{R"({"threads": 257})", "'threads' is 257; it must be between 1 and 256"},
           Case{R"({"https": {"tlsTickets": 17}})", "'https.tlsTickets' is 17; it must be between 0 and 16"},
           Case{R"({"https": {"tlsTickets": -1}})", "'https.tlsTickets' is -1; it must be between 0 and 16"},
           Case{R"({"https": {"clientCertificateMode": "maybe"}})",
                "'https.clientCertificateMode' is 'maybe', which is not one of none, allow, require, "
                "NoCertificate, "
                "AllowCertificate, RequireCertificate"},
           Case{R"({"logFormat": "xml"})", "'logFormat' is 'xml', which is not one of text, json"},
           Case{R"({"endpoint": {"cert": ""}})", "'endpoint.cert' is empty"},
           Case{R"({"schemes": [{"allowedCertificateTypes": "any"}]})",
                "'schemes[0].allowedCertificateTypes': unknown certificate type 'any'"},
           Case{R"({"schemes": [{}, {"name": "B", "revocationMode": "crl"}]})",
                "'schemes[1].revocationMode': unknown revocation mode 'crl'"},
       }) {
    INFO(c.text);
    const Error e = config_error(config, c.text);
    CHECK(e.code() == Errc::Usage);
    CHECK(std::string(e.what()) == fmt::format("config '{}': {}", config.in_folder("serve.json"), c.problem));
  }
  CHECK(load_serve_config(config.write(R"({"https": {"clientCertificateValidation": "allowany"}})"))
            .validation_builtin == "allowany");
  const ServeConfig threads =
      load_serve_config(config.write(R"({"threads": 3, "https": {"tlsTickets": 0}})"));
  CHECK(threads.threads == 3);
  CHECK(threads.tls_tickets == 0);
  CHECK_THAT(config_error(config, R"({"https": {"clientCertificateValidation": "AllowAll"}})").what(),
             Catch::Contains("AllowSelfSignedForDevelopment"));
}

TEST_CASE("keys that exclude each other are a usage error naming both", "[server][config][errors]") {
  const ConfigDir config;
  CHECK_THAT(config_error(config, R"({"endpoint": {"password": "a", "passwordEnv": "B"}})").what(),
             Catch::EndsWith("'endpoint.password' and 'endpoint.passwordEnv' cannot be used together"));
  CHECK_THAT(
      config_error(config, R"({"https": {"clientCertificateValidation": "AllowAny",
                                                "clientCertificateValidationCode": "return true;"}})")
          .what(),
      Catch::EndsWith("'https.clientCertificateValidation' and 'https.clientCertificateValidationCode' "
                      "cannot be used together"));
  CHECK_THAT(config_error(config, R"({"endpoint": {"cert": "a.pem", "selfSigned": true}})").what(),
             Catch::EndsWith("'endpoint.cert' and 'endpoint.selfSigned' cannot be used together"));
  CHECK_THAT(config_error(config, R"({"routes": [{"path": "/a", "file": "a.txt", "status": 204}]})").what(),
             Catch::EndsWith("'routes[0].file' and 'routes[0].status' cannot be used together"));
  CHECK_THAT(config_error(config, R"({"schemes": [{"name": "A"}, {"name": "A"}]})").what(),
             Catch::EndsWith("'schemes[1].name': the scheme 'A' is defined twice"));
}

TEST_CASE("a bad route in a config names the file and the route's index", "[server][config][errors]") {
  const ConfigDir config;
  const std::string name = fmt::format("config '{}'", config.in_folder("serve.json"));
  CHECK(std::string(config_error(config, R"({"routes": ["GET /ok", "GET nopath"]})").what()) ==
        name + " routes[1] 'GET nopath': the path must start with '/'");
  CHECK(std::string(config_error(config, R"({"routes": [{"path": "/a b"}]})").what()) ==
        name + ": 'routes[0].path' must not contain spaces");
  CHECK(std::string(config_error(config, R"({"routes": [{"method": "GET"}]})").what()) ==
        name + ": 'routes[0]' has no \"path\"");
  CHECK_THAT(config_error(config, R"({"routes": [{"path": "/a", "json": {"s": "{cert.subjct}"}}]})").what(),
             Catch::EndsWith("the JSON template uses an unknown placeholder '{cert.subjct}'"));
  CHECK_THAT(config_error(config, R"({"routes": [{"path": "/a", "dir": "missing"}]})").what(),
             Catch::Contains(fmt::format("the folder '{}' does not exist", config.in_folder("missing"))));
}

TEST_CASE("a malformed config is an input error with the line and column", "[server][config][errors]") {
  const ConfigDir config;
  const fs::path file = config.write("{\n  \"endpoint\": {\"port\": 5000},\n  \"https\": {,}\n}\n");
  const Error e = error_from([&] { load_serve_config(file); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Catch::StartsWith(fmt::format("config '{}' is not valid JSON: line 3, column 13: ",
                                                     config.in_folder("serve.json"))));
  CHECK_THAT(e.what(), Catch::Contains("unexpected ','"));
  CHECK_THAT(e.what(), !Catch::Contains("json.exception"));
  CHECK_THAT(e.hint(), Catch::Contains("line 3, column 13"));

  const Error truncated = error_from([&] { load_serve_config(config.write("{\"routes\": [\n")); });
  CHECK(truncated.code() == Errc::Input);
  CHECK_THAT(truncated.what(), Catch::Contains("line 2, column 1"));
}

// Found by fuzz/serve_config_fuzz.cpp: nlohmann reports a number too large for a double as out_of_range,
// not parse_error, and it escaped as "unexpected failure ... please report this as a bug".
TEST_CASE("a number too large for JSON's doubles is an input error naming the file",
          "[server][config][errors]") {
  const ConfigDir config;
  const Error e = config_error(config, R"({"maxConnections": 1e99999})");
  CHECK(e.code() == Errc::Input);
  CHECK(std::string(e.what()) ==
        fmt::format("config '{}' is not valid JSON: number overflow parsing '1e99999'",
                    config.in_folder("serve.json")));
  CHECK_FALSE(e.hint().empty());
}

TEST_CASE("a config file that cannot be read is an input error", "[server][config][errors]") {
  const ConfigDir config;
  const Error e = error_from([&] { load_serve_config(config.folder / "absent.json"); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Catch::Contains("absent.json"));
}
