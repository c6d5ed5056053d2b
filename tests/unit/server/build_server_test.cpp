// build_server_options, step by step: the TLS layer, the authentication schemes, the routes, the limits
// and the exposure check; and how their errors name a field (its --config key, or where it came from).
#include "krtool/server/build_server.hpp"

#include <catch2/catch.hpp>
#include <chrono>

#include "krtool/formats/encode.hpp"
#include "support/temp_dir.hpp"
#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using Catch::Matchers::Contains;
using krtool::server_test::error_from;
using krtool::server_test::write_text;

namespace {

const PasswordPrompt kNoPrompt = nullptr;
const LogSink kNoLog = [](const std::string&) {};

ServeConfig from_json(const std::string& text) {
  return serve_config_from_json(nlohmann::json::parse(text), "config 'serve.json'", {});
}

bool contains(const std::vector<std::string>& lines, const std::string& fragment) {
  for (const std::string& line : lines) {
    if (line.find(fragment) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// ---- the defect: readTimeout set the write timeout ------------------------------------------------------

TEST_CASE("readTimeout in a --config file sets the read timeout and leaves the write timeout alone",
          "[server][build][timeouts]") {
  const ServerLimits limits = build_limits(from_json(R"({"readTimeout": 9})"));
  CHECK(limits.read_timeout == std::chrono::seconds(9));
  CHECK(limits.write_timeout == ServerLimits{}.write_timeout);
  CHECK(limits.handshake_timeout == std::chrono::seconds(ServeConfig{}.handshake_timeout_seconds));
}

TEST_CASE("the server that build_server_options makes from readTimeout 1 has a read timeout of 1 s",
          "[server][build][timeouts]") {
  const BuiltServer built =
      build_server_options(from_json(R"({"readTimeout": 1, "endpoint": {"port": 0}})"), kNoPrompt, kNoLog);
  CHECK(built.options.limits.read_timeout == std::chrono::seconds(1));
  CHECK(built.options.limits.write_timeout == ServerLimits{}.write_timeout);
  // That this server then answers 408 to a client that stops in the middle of its request is a real
  // socket's timeout: serve_operations_test.py meets it end to end, as a user would.
}

// ---- the TLS layer ---------------------------------------------------------------------------------------

TEST_CASE("without a certificate the TLS layer is plain HTTP, with a warning", "[server][build][tls]") {
  const TlsLayer layer = build_tls_layer(ServeConfig{}, kNoPrompt, kNoLog);
  CHECK(layer.config == nullptr);
  CHECK_FALSE(layer.development_root.has_value());
  CHECK(layer.notes.relaxed.empty());
  REQUIRE(layer.notes.warnings.size() == 1);
  CHECK_THAT(layer.notes.warnings[0],
             Contains("no endpoint.cert and no endpoint.selfSigned") && Contains("plain HTTP"));
}

TEST_CASE("without a certificate every TLS setting given is an error that names it", "[server][build][tls]") {
  ServeConfig config;
  config.client_cert_mode = "allow";
  Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Contains("https.clientCertificateMode allow needs HTTPS"));
  CHECK_THAT(e.hint(), Contains("endpoint.cert") && Contains("endpoint.selfSigned"));

  config.client_cert_mode = "none";
  config.trust_ca_files = {"ca.pem"};
  config.check_certificate_revocation = true;
  e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
  CHECK_THAT(e.what(), Contains("https.trustCa, https.checkCertificateRevocation given but the server has no "
                                "certificate"));
}

TEST_CASE("a self-signed TLS layer has a development root and describes its settings",
          "[server][build][tls]") {
  ServeConfig config;
  config.self_signed = true;
  config.client_cert_mode = "require";
  const TlsLayer layer = build_tls_layer(config, kNoPrompt, kNoLog);
  REQUIRE(layer.config != nullptr);
  REQUIRE(layer.development_root.has_value());
  CHECK(layer.notes.warnings.empty());
  CHECK(layer.notes.relaxed.empty());
  REQUIRE_FALSE(layer.notes.description.empty());
  CHECK_THAT(layer.notes.description[0],
             Contains("client certificates require") && Contains("the system store") && Contains("strict"));
}

TEST_CASE("a built-in development callback is a relaxed setting of the TLS layer", "[server][build][tls]") {
  ServeConfig config;
  config.self_signed = true;
  config.client_cert_mode = "allow";
  config.validation_builtin = "allowselfsignedfordevelopment";  // any case, as in the file
  const TlsLayer layer = build_tls_layer(config, kNoPrompt, kNoLog);
  REQUIRE(layer.notes.relaxed.size() == 1);
  CHECK_THAT(layer.notes.relaxed[0], Contains("TLS validation callback AllowSelfSignedForDevelopment"));
}

TEST_CASE("the TLS layer's errors name the fields involved", "[server][build][tls]") {
  ServeConfig config;
  config.self_signed = true;

  SECTION("an unknown built-in callback") {
    config.validation_builtin = "AllowEverything";
    const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
    CHECK_THAT(e.what(),
               Contains("https.clientCertificateValidation: unknown built-in callback 'AllowEverything'"));
    CHECK_THAT(e.hint(), Contains("AllowAny"));
  }
  SECTION("two validation callbacks") {
    config.validation_builtin = "AllowAny";
    config.validation_code = "return true;";
    const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
    CHECK_THAT(e.what(),
               Contains("https.clientCertificateValidation and https.clientCertificateValidationCode "
                        "cannot be combined"));
  }
  SECTION("a language without code") {
    config.validation_language = "cpp";
    const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
    CHECK_THAT(e.what(), Contains("https.clientCertificateValidationLanguage applies to "
                                  "https.clientCertificateValidationCode"));
  }
  SECTION("an offline revocation check without CRLs") {
    config.check_certificate_revocation = true;
    config.tls_revocation_mode = "offline";
    const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
    CHECK_THAT(e.what(), Contains("https.checkCertificateRevocation in offline mode needs the CRLs"));
    CHECK_THAT(e.hint(), Contains("https.crl"));
  }
  SECTION("a self-signed and a given certificate") {
    config.cert_file = "server.pem";
    const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
    CHECK_THAT(e.what(), Contains("endpoint.selfSigned and endpoint.cert cannot be combined"));
  }
  SECTION("a trust file without a certificate fails closed") {
    const test::TempDir dir;
    const cert::CertBundle bundle = server_test::make_client_certificate();
    write_text(dir / "key-only.pem", formats::encode_pem_key(bundle.key.get(), std::nullopt));
    config.trust_ca_files = {(dir / "key-only.pem").string()};
    config.origins[std::string(field::kTrustCa)] = "--trust-ca";
    const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
    CHECK_THAT(e.what(), Contains("--trust-ca: '") && Contains("key-only.pem' holds no certificate"));
  }
}

TEST_CASE("a server certificate without its key names the certificate field", "[server][build][tls]") {
  const test::TempDir dir;
  const cert::CertBundle bundle = server_test::make_client_certificate();
  write_text(dir / "nokey.pem", formats::encode_pem_certificate(bundle.certificate.get()));
  ServeConfig config;
  config.cert_file = (dir / "nokey.pem").string();
  config.origins[std::string(field::kCert)] = "--cert";
  config.origins[std::string(field::kKey)] = "--key";
  const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Contains("--cert '") && Contains("has no private key"));
  CHECK_THAT(e.hint(), Contains("set --key"));
}

// ---- the authentication schemes --------------------------------------------------------------------------

TEST_CASE("without schemes the auth layer is the default Certificate scheme, strict",
          "[server][build][auth]") {
  const AuthLayer layer = build_auth_schemes(ServeConfig{});
  REQUIRE(layer.schemes.size() == 1);
  CHECK(layer.schemes[0]->name() == "Certificate");
  CHECK(layer.notes.relaxed.empty());
  REQUIRE(layer.notes.description.size() == 1);
  CHECK_THAT(layer.notes.description[0], Contains("scheme 'Certificate'") && Contains("the system store"));
}

TEST_CASE("each scheme's relaxations are relaxed settings, named by scheme", "[server][build][auth]") {
  const AuthLayer layer = build_auth_schemes(from_json(
      R"({"schemes": [{"name": "Strict"}, {"name": "Dev", "allowedCertificateTypes": "all", "revocationMode": "nocheck"}]})"));
  REQUIRE(layer.schemes.size() == 2);
  CHECK(contains(layer.notes.relaxed, "scheme 'Dev': allowed certificate types All"));
  CHECK(contains(layer.notes.relaxed, "scheme 'Dev': revocation mode NoCheck"));
  CHECK_FALSE(contains(layer.notes.relaxed, "scheme 'Strict'"));
}

TEST_CASE("a scheme's errors name its fields by index", "[server][build][auth]") {
  SECTION("offline revocation without a CRL, from a file") {
    const ServeConfig config =
        from_json(R"({"schemes": [{"name": "A"}, {"name": "B", "revocationMode": "offline"}]})");
    const Error e = error_from([&] { build_auth_schemes(config); });
    CHECK_THAT(e.what(),
               Contains("scheme 'B': config 'serve.json' schemes[1].revocationMode offline needs a CRL"));
  }
  SECTION("a name that is empty") {
    ServeConfig config;
    config.schemes.emplace_back().name = "";
    config.origins["schemes[0].name"] = "--auth-scheme";
    const Error e = error_from([&] { build_auth_schemes(config); });
    CHECK_THAT(e.what(), Contains("--auth-scheme: the scheme needs a name"));
  }
  SECTION("an unknown certificate type") {
    ServeConfig config;
    config.schemes.emplace_back().allowed_certificate_types = "some";
    const Error e = error_from([&] { build_auth_schemes(config); });
    CHECK_THAT(e.what(), Contains("schemes[0].allowedCertificateTypes"));
  }
}

// ---- the routes ------------------------------------------------------------------------------------------

TEST_CASE("without routes the route table is the tutorial's three, protected by the first scheme",
          "[server][build][routes]") {
  const RouteTable table = build_routes(ServeConfig{}, "Partners", "https://127.0.0.1:5000");
  REQUIRE(table.routes.size() == 3);
  CHECK(table.routes[0].path == "/info");
  CHECK(table.routes[0].scheme.empty());
  CHECK(table.routes[1].scheme == "Partners");
  CHECK(table.routes[2].scheme == "Partners");
  CHECK(contains(table.notes.description, "route: GET /info -> public"));
  CHECK(contains(table.notes.description, "auth=Partners"));
}

TEST_CASE("a route that does not parse is reported against where the routes came from",
          "[server][build][routes]") {
  ServeConfig config;
  config.routes = {"GET /a", "FETCH /b"};
  Error e = error_from([&] { build_routes(config, "Certificate", "http://127.0.0.1:5000"); });
  CHECK_THAT(e.what(), Contains("routes 'FETCH /b'"));
  config.origins["routes"] = "--route";
  e = error_from([&] { build_routes(config, "Certificate", "http://127.0.0.1:5000"); });
  CHECK_THAT(e.what(), Contains("--route 'FETCH /b'"));
}

// ---- the limits ------------------------------------------------------------------------------------------

TEST_CASE("a limit below 1 is an error naming its field", "[server][build][limits]") {
  ServeConfig config;
  config.max_connections = 0;
  Error e = error_from([&] { build_limits(config); });
  CHECK_THAT(e.what(), Contains("maxConnections is 0; it must be at least 1"));
  config.max_connections = 8;
  config.keep_alive_timeout_seconds = -1;
  config.origins["keepAliveTimeout"] = "--keep-alive-timeout";
  e = error_from([&] { build_limits(config); });
  CHECK_THAT(e.what(), Contains("--keep-alive-timeout is -1"));
}

TEST_CASE("threads defaults to one per core and is bounded 1 to 256, naming its field",
          "[server][build][limits]") {
  ServeConfig config;
  CHECK(build_limits(config).threads == 0);  // 0: the connection layer takes the hardware concurrency
  config.threads = 4;
  CHECK(build_limits(config).threads == 4);
  for (const int wrong : {0, 257}) {
    config.threads = wrong;
    config.origins["threads"] = "--threads";
    const Error e = error_from([&] { build_limits(config); });
    CHECK(e.code() == Errc::Usage);
    CHECK_THAT(e.what(), Contains(fmt::format("--threads is {}; it must be between 1 and 256", wrong)));
  }
}

TEST_CASE("the TLS layer gets the ticket count and the handshake timeout as the validation deadline",
          "[server][build][tls]") {
  ServeConfig config;
  config.self_signed = true;
  config.tls_tickets = 2;
  config.handshake_timeout_seconds = 7;
  const TlsLayer layer = build_tls_layer(config, kNoPrompt, kNoLog);
  CHECK(layer.config->options().tls13_tickets == 2);
  CHECK(layer.config->options().validation_deadline == std::chrono::seconds(7));
  config.tls_tickets = 17;
  config.origins["https.tlsTickets"] = "--tls-tickets";
  const Error e = error_from([&] { build_tls_layer(config, kNoPrompt, kNoLog); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Contains("--tls-tickets is 17; it must be between 0 and 16"));
}

TEST_CASE("a reload re-reads the certificate files and keeps the development pair and the policy",
          "[server][build][tls][reload]") {
  ServeConfig config;
  config.self_signed = true;
  config.client_cert_mode = "allow";
  config.validation_builtin = "AllowAny";
  const TlsLayer first = build_tls_layer(config, kNoPrompt, kNoLog);
  const auto reloaded = reload_tls_layer(config, kNoPrompt, kNoLog, *first.config);
  CHECK(X509_cmp(reloaded->options().identity.certificate.get(),
                 first.config->options().identity.certificate.get()) == 0);
  CHECK(reloaded->options().policy == first.config->options().policy);

  config.self_signed = false;
  config.cert_file = "/nonexistent/server.pem";
  const Error e = error_from([&] { reload_tls_layer(config, kNoPrompt, kNoLog, *first.config); });
  CHECK_THAT(e.what(), Contains("/nonexistent/server.pem"));
}

// ---- the exposure check: the loopback rule for relaxed settings ------------------------------------------

namespace {
DevServerOptions listening_on(const std::string& address) {
  DevServerOptions options;
  options.address = address;
  return options;
}
}  // namespace

TEST_CASE("relaxed settings on a loopback address are warned about", "[server][build][exposure]") {
  for (const char* address : {"127.0.0.1", "127.8.9.10", "::1", "localhost"}) {
    INFO(address);
    ServeConfig config;
    config.address = address;
    const std::vector<std::string> warnings =
        check_exposure(config, listening_on(config.address), {"TLS validation callback AllowAny"});
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] == "relaxed for development: TLS validation callback AllowAny");
  }
}

TEST_CASE("relaxed settings on a public address are refused unless allowInsecurePublic",
          "[server][build][exposure]") {
  ServeConfig config;
  config.address = "0.0.0.0";
  const Error e = error_from([&] {
    check_exposure(config, listening_on(config.address), {"first", "second"});
  });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Contains("non-loopback address 0.0.0.0: first; second"));
  CHECK_THAT(e.hint(), Contains("endpoint.address") && Contains("allowInsecurePublic"));

  config.allow_insecure_public = true;
  CHECK(check_exposure(config, listening_on(config.address), {"first", "second"}).size() == 2);
  config.allow_insecure_public = false;
  CHECK(
      check_exposure(config, listening_on(config.address), {}).empty());  // strict settings may bind anywhere
}

TEST_CASE("the exposure check looks at every listening URL", "[server][build][exposure][urls]") {
  ServeConfig config;
  config.urls = "http://127.0.0.1:8080;https://*:8443";
  DevServerOptions options;
  options.endpoints = parse_urls(config.urls, "--urls");
  const Error e = error_from([&] { check_exposure(config, options, {"first"}); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Contains("non-loopback address 0.0.0.0"));
  CHECK_THAT(e.hint(), Contains("endpoint.urls"));
  options.endpoints = parse_urls("http://localhost:8080", "--urls");
  CHECK(check_exposure(config, options, {"first"}).size() == 1);
}

TEST_CASE("diagnostics is a relaxed setting that the exposure check refuses on a public address",
          "[server][build][exposure]") {
  ServeConfig config = from_json(R"({"endpoint": {"address": "::", "port": 0}, "diagnostics": true})");
  const Error e = error_from([&] { build_server_options(config, kNoPrompt, kNoLog); });
  CHECK_THAT(e.what(), Contains("config 'serve.json' diagnostics (401/403 answers"));
  config.allow_insecure_public = true;
  const BuiltServer built = build_server_options(config, kNoPrompt, kNoLog);
  CHECK(contains(built.warnings, "relaxed for development: config 'serve.json' diagnostics"));
  CHECK(contains(built.warnings, "plain HTTP"));
}

// ---- field names: the file's key, or the origin recorded for it -------------------------------------------

TEST_CASE("an error about a field read from a --config file names the file and the key",
          "[server][build][names]") {
  const test::TempDir dir;
  write_text(dir / "serve.json", R"({"https": {"clientCertificateMode": "allow"}})");
  const ServeConfig config = load_serve_config(dir / "serve.json");
  const Error e = error_from([&] { build_server_options(config, kNoPrompt, kNoLog); });
  CHECK_THAT(e.what(), Contains(fmt::format("config '{}' https.clientCertificateMode allow needs HTTPS",
                                            (dir / "serve.json").string())));
}

TEST_CASE("name_of gives a field's recorded origin, else its key", "[server][build][names]") {
  ServeConfig config = from_json(R"({"endpoint": {"port": 5001}, "schemes": [{"name": "A"}]})");
  CHECK(config.name_of(field::kPort) == "config 'serve.json' endpoint.port");
  CHECK(config.name_of(field::scheme(0, field::kSchemeName)) == "config 'serve.json' schemes[0].name");
  CHECK(config.name_of(field::kAddress) == "endpoint.address");
  config.origins[std::string(field::kAddress)] = "--address";
  CHECK(config.name_of(field::kAddress) == "--address");
}
