// The HTTP layer's decision for one request, without the HTTP library: route, authentication scheme,
// answer, and the verdict the access log shows.
#include "server/pipeline.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/server/build_server.hpp"
#include "support/error_from.hpp"
#include "support/temp_dir.hpp"
#include "unit/server/server_fixtures.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {
namespace {

std::shared_ptr<const auth::CertificateScheme> scheme_trusting_client_ca() {
  auth::CertificateSchemeOptions options;
  options.custom_trust_store.push_back(ossl::up_ref(pki().client_ca.certificate.get()));
  options.revocation_mode = auth::RevocationMode::NoCheck;
  return std::make_shared<const auth::CertificateScheme>(std::move(options));
}

server::RequestPipeline pipeline(bool diagnostics = false) {
  return server::RequestPipeline(
      {server::parse_route("GET /public"), server::parse_route("GET /me auth=Certificate"),
       server::parse_route("GET /admin auth=Certificate status:403")},
      {scheme_trusting_client_ca()}, diagnostics);
}

server::PipelineOutcome request(const server::RequestPipeline& pipeline, const std::string& method,
                                const std::string& path, const cert::CertBundle* client = nullptr) {
  return server_test::handle(pipeline, method, path, client);
}

const auto header = server_test::header_of;

// server_identity_file is the test PKI's ECDSA server certificate and key in one PEM file, written once:
// what binds where does not depend on how the identity was made, and selfSigned would make an RSA key
// for every case.
std::filesystem::path server_identity_file() {
  static const TempDir dir;
  static const std::filesystem::path file = [] {
    const std::filesystem::path path = dir / "server.pem";
    server_test::write_text(path, formats::encode_pem_certificate(pki().server.certificate.get()) +
                                      formats::encode_pem_key(pki().server.key.get(), std::nullopt));
    return path;
  }();
  return file;
}

}  // namespace

TEST_CASE("a public route answers anyone, and the log says public", "[server][pipeline]") {
  const server::PipelineOutcome outcome = request(pipeline(), "GET", "/public");
  CHECK(outcome.response.status == 200);
  CHECK(outcome.auth_verdict == "public");
}

TEST_CASE("an unknown path is 404 and a known path with another method is 405", "[server][pipeline]") {
  const server::RequestPipeline p = pipeline();
  const server::PipelineOutcome missing = request(p, "GET", "/nothing");
  CHECK(missing.response.status == 404);
  CHECK(missing.response.body == R"({"error":"no route for GET /nothing"})");
  CHECK(missing.auth_verdict == "-");

  const server::PipelineOutcome wrong_method = request(p, "DELETE", "/public");
  CHECK(wrong_method.response.status == 405);
  CHECK(wrong_method.response.body == R"({"error":"method DELETE is not allowed on /public"})");
  CHECK(wrong_method.auth_verdict == "-");

  CHECK(request(p, "HEAD", "/public").response.status == 200);  // HEAD is served by a GET route
}

TEST_CASE("a protected route answers 401 without a certificate, empty and without a challenge",
          "[server][pipeline]") {
  const server::PipelineOutcome outcome = request(pipeline(), "GET", "/me");
  CHECK(outcome.response.status == 401);
  CHECK(outcome.response.body.empty());
  CHECK(outcome.response.headers.empty());  // no WWW-Authenticate, no reason without --diagnostics
  CHECK(outcome.auth_verdict == "Certificate: no certificate (401)");
}

TEST_CASE(
    "a certificate the scheme refuses is 401, with the reason in the log and, with --diagnostics, "
    "in a header",
    "[server][pipeline]") {
  const bool diagnostics = GENERATE(false, true);
  const server::PipelineOutcome outcome = request(pipeline(diagnostics), "GET", "/me", &pki().self_signed);
  CHECK(outcome.response.status == 401);
  CHECK(outcome.auth_verdict == "Certificate: failed: Certificate type not allowed: SelfSigned (401)");
  CHECK(header(outcome.response, "Krtool-Auth-Failure") ==
        (diagnostics ? "Certificate type not allowed: SelfSigned" : ""));
}

TEST_CASE("an authenticated request reaches the handler, and a handler that forbids answers 403",
          "[server][pipeline]") {
  const server::RequestPipeline p = pipeline();
  const server::PipelineOutcome me = request(p, "GET", "/me", &pki().valid);
  CHECK(me.response.status == 200);
  CHECK_THAT(me.response.body, Catch::Contains("CN=alice, O=krtool tests"));
  CHECK(me.auth_verdict == "Certificate: success");

  // A route without policy= has no authorization step: this 403 is the route's own answer after a
  // successful authentication, and the log shows both.
  const server::PipelineOutcome admin = request(p, "GET", "/admin", &pki().valid);
  CHECK(admin.response.status == 403);
  CHECK(admin.auth_verdict == "Certificate: success");
  // Without a certificate the scheme answers first.
  CHECK(request(p, "GET", "/admin").response.status == 401);
}

TEST_CASE("a route naming an unregistered scheme is refused when the pipeline is built",
          "[server][pipeline]") {
  const Error error = error_from([] {
    server::RequestPipeline({server::parse_route("GET /x auth=Other")}, {scheme_trusting_client_ca()}, false);
  });
  CHECK(error.code() == Errc::Usage);
  CHECK(std::string(error.what()) == "route GET /x: Authentication scheme 'Other' is not registered.");
}

TEST_CASE("relaxed settings bind only to loopback unless --allow-insecure-public", "[server][loopback]") {
  struct Case {
    std::string address;
    bool relaxed;
    bool allow_insecure_public;
    bool accepted;
  };
  const Case c = GENERATE(values<Case>({
      {"127.0.0.1", true, false, true},
      {"127.0.0.2", true, false, true},
      {"::1", true, false, true},
      {"localhost", true, false, true},
      {"0.0.0.0", true, false, false},
      {"::", true, false, false},
      {"192.0.2.10", true, false, false},
      {"0.0.0.0", true, true, true},
      {"0.0.0.0", false, false, true},
  }));
  CAPTURE(c.address, c.relaxed, c.allow_insecure_public);
  server::ServeConfig config;
  config.address = c.address;
  config.port = 0;
  config.cert_file = server_identity_file().string();
  config.client_cert_mode = "allow";
  if (c.relaxed) config.validation_builtin = "AllowAny";
  config.allow_insecure_public = c.allow_insecure_public;

  if (c.accepted) {
    const server::BuiltServer built =
        server::build_server_options(config, nullptr, [](const std::string&) {});
    CHECK(built.warnings.empty() == !c.relaxed);
  } else {
    const Error error =
        error_from([&] { server::build_server_options(config, nullptr, [](const std::string&) {}); });
    CHECK(error.code() == Errc::Usage);
    CHECK_THAT(
        error.what(),
        Catch::StartsWith("refusing to bind relaxed settings to the non-loopback address " + c.address) &&
            Catch::Contains("AllowAny"));
  }
}

}  // namespace krtool::test

namespace krtool::test {

// A keep-alive client is verified once per connection, not on every request; the memo forgets after
// its lifetime, and at the certificate's notAfter at the latest.
TEST_CASE("a connection's memo keeps a scheme's result for its lifetime and never past notAfter",
          "[server][pipeline][memo]") {
  using std::chrono::seconds;
  const auto now = std::chrono::steady_clock::now();
  server::AuthMemo memo;
  auth::AuthResult success;
  success.outcome = auth::AuthResult::Outcome::Success;
  success.principal.name = "alice";
  const auth::AuthResult& kept =
      memo.keep("Certificate", success, pki().client(ClientKind::Valid)->certificate.get(), now);
  CHECK(memo.find("Certificate", now + seconds(60)) == &kept);
  CHECK(memo.find("Other", now) == nullptr);
  CHECK(memo.find("Certificate", now + server::AuthMemo::kLifetime) == nullptr);

  cert::CertificateSpec spec = ecdsa_spec("CN=short-lived", cert::Purpose::Client);
  spec.not_after = std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now() + seconds(30));
  const cert::CertBundle short_lived = cert::create_certificate(spec, &pki().client_ca);
  server::AuthMemo expiring;
  expiring.keep("Certificate", success, short_lived.certificate.get(), now);
  CHECK(expiring.find("Certificate", now + seconds(20)) != nullptr);
  CHECK(expiring.find("Certificate", now + seconds(31)) == nullptr);
}

}  // namespace krtool::test
