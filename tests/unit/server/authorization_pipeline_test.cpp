// The pipeline's authorization step: auth=A,B tries schemes in order (ASP.NET's AuthenticationSchemes),
// no authenticated principal is 401, a principal that fails the route's policy is 403 with an empty body,
// and the log and --diagnostics name the policy and the rule.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "krtool/auth/authorization_policy.hpp"
#include "krtool/error.hpp"
#include "server/pipeline.hpp"
#include "support/error_from.hpp"
#include "unit/server/server_fixtures.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {
namespace {

std::shared_ptr<const auth::CertificateScheme> scheme_trusting(const std::string& name,
                                                               const cert::CertBundle& ca) {
  auth::CertificateSchemeOptions options;
  options.name = name;
  options.custom_trust_store.push_back(ossl::up_ref(ca.certificate.get()));
  options.revocation_mode = auth::RevocationMode::NoCheck;
  return std::make_shared<const auth::CertificateScheme>(std::move(options));
}

const cert::CertBundle& acme_client() {
  static const cert::CertBundle bundle = cert::create_certificate(
      ecdsa_spec("CN=olga, OU=ops, O=Acme", cert::Purpose::Client), &pki().client_ca);
  return bundle;
}

server::RequestPipeline pipeline(bool diagnostics = false) {
  return server::RequestPipeline(
      {server::parse_route("GET /ops auth=Certificate policy=ops"),
       server::parse_route("GET /either auth=Partner,Certificate"),
       server::parse_route("GET /either-ops auth=Partner,Certificate policy=ops")},
      {scheme_trusting("Certificate", pki().client_ca), scheme_trusting("Partner", pki().other_ca)},
      diagnostics,
      {std::make_shared<const auth::AuthorizationPolicy>(auth::parse_policy("ops: subject O=Acme"))});
}

server::PipelineOutcome request(const server::RequestPipeline& pipeline, const std::string& path,
                                const cert::CertBundle* client) {
  return server_test::handle(pipeline, "GET", path, client);
}

const auto header = server_test::header_of;

}  // namespace

TEST_CASE("a route's policy lets an authenticated client through when every rule passes",
          "[server][pipeline][policy]") {
  const server::PipelineOutcome outcome = request(pipeline(), "/ops", &acme_client());
  CHECK(outcome.response.status == 200);
  CHECK_THAT(outcome.response.body, Catch::Contains("CN=olga, OU=ops, O=Acme"));
  CHECK(outcome.auth_verdict == "Certificate: success; policy ops: authorized");
}

TEST_CASE("authenticated but not authorized is 403 with an empty body; the log names the rule",
          "[server][pipeline][policy]") {
  const bool diagnostics = GENERATE(false, true);
  const server::PipelineOutcome outcome = request(pipeline(diagnostics), "/ops", &pki().valid);
  CHECK(outcome.response.status == 403);
  CHECK(outcome.response.body.empty());
  CHECK(outcome.response.content_type.empty());
  const std::string reason = "policy ops: subject O=Acme: the certificate's subject has O=krtool tests";
  CHECK(outcome.auth_verdict == "Certificate: success; " + reason + " (403)");
  CHECK(header(outcome.response, "Krtool-Auth-Failure") == (diagnostics ? reason : ""));
}

TEST_CASE("without an authenticated principal a route with a policy is 401, not 403",
          "[server][pipeline][policy]") {
  CHECK(request(pipeline(), "/ops", nullptr).response.status == 401);
  const server::PipelineOutcome refused = request(pipeline(), "/ops", &pki().self_signed);
  CHECK(refused.response.status == 401);
  CHECK(refused.auth_verdict == "Certificate: failed: Certificate type not allowed: SelfSigned (401)");
}

TEST_CASE("auth=A,B tries the schemes in order and the first success wins", "[server][pipeline][policy]") {
  const server::RequestPipeline p = pipeline(true);

  const server::PipelineOutcome partner = request(p, "/either", &pki().other_ca_leaf);
  CHECK(partner.response.status == 200);
  CHECK(partner.auth_verdict == "Partner: success");  // Certificate is never asked

  const server::PipelineOutcome second = request(p, "/either", &pki().valid);
  CHECK(second.response.status == 200);
  CHECK_THAT(second.auth_verdict, Catch::StartsWith("Partner: failed: Certificate chain validation failed") &&
                                      Catch::EndsWith("; Certificate: success"));

  // Neither: 401, and the first failure is the one remembered for --diagnostics.
  const server::PipelineOutcome neither = request(p, "/either", &pki().expired);
  CHECK(neither.response.status == 401);
  CHECK(neither.auth_verdict ==
        "Partner: failed: Certificate is not within its validity period; Certificate: failed: Certificate is "
        "not within its validity period (401)");
  CHECK(header(neither.response, "Krtool-Auth-Failure") == "Certificate is not within its validity period");

  const server::PipelineOutcome none = request(p, "/either", nullptr);
  CHECK(none.response.status == 401);
  CHECK(none.auth_verdict == "Partner: no certificate; Certificate: no certificate (401)");
  CHECK(header(none.response, "Krtool-Auth-Failure") == "no client certificate was presented");

  // The policy applies to whichever scheme authenticated.
  CHECK(request(p, "/either-ops", &pki().other_ca_leaf).response.status == 403);
  CHECK(request(p, "/either-ops", &acme_client()).response.status == 200);
}

TEST_CASE("a route naming an undefined policy or scheme is refused with a did-you-mean",
          "[server][pipeline][policy]") {
  const auto ops =
      std::make_shared<const auth::AuthorizationPolicy>(auth::parse_policy("ops: eku clientAuth"));
  const Error policy = error_from([&] {
    server::RequestPipeline({server::parse_route("GET /x auth=Certificate policy=opps")},
                            {scheme_trusting("Certificate", pki().client_ca)}, false, {ops});
  });
  CHECK(policy.code() == Errc::Usage);
  CHECK(std::string(policy.what()) == "route GET /x: authorization policy 'opps' is not defined");
  CHECK(policy.hint() == "did you mean 'ops'? defined policies: ops");

  const Error scheme = error_from([&] {
    server::RequestPipeline(
        {server::parse_route("GET /x auth=Certificate,Partnr")},
        {scheme_trusting("Certificate", pki().client_ca), scheme_trusting("Partner", pki().other_ca)}, false);
  });
  CHECK(std::string(scheme.what()) == "route GET /x: Authentication scheme 'Partnr' is not registered.");
  CHECK(scheme.hint() == "did you mean 'Partner'? registered schemes: Certificate, Partner");
}

TEST_CASE("the route grammar takes policy= only with auth=, and gives both back",
          "[server][routes][policy]") {
  const server::RouteSpec spec = server::parse_route_spec("get /ops auth=A,B policy=ops status:204");
  CHECK(spec.scheme == "A,B");
  CHECK(spec.policy == "ops");
  CHECK(server::format_route_spec(spec) == "GET /ops auth=A,B policy=ops status:204");
  CHECK(server::split_schemes("A, B") == std::vector<std::string>{"A", "B"});

  const Error alone = error_from([] { server::parse_route_spec("GET /ops policy=ops"); });
  CHECK(alone.code() == Errc::Usage);
  CHECK_THAT(alone.what(), Catch::Contains("'policy=ops' needs auth=SCHEME"));
  CHECK(alone.hint() == "write auth=Certificate policy=ops");

  const Error empty_scheme = error_from([] { server::parse_route_spec("GET /ops auth=A,"); });
  CHECK_THAT(empty_scheme.what(), Catch::Contains("needs scheme names separated by commas"));
}

}  // namespace krtool::test
