// Authorization policies: the rule grammar, each rule kind passing and failing on certificates made by
// the library's builder, and the messages that name the policy, the rule and the fix.
#include "krtool/auth/authorization_policy.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "auth/claims.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "support/error_from.hpp"
#include "unit/tls/tls_fixtures.hpp"
#include "util/text.hpp"

namespace krtool::test {
namespace {

// ops_client is CN=olga, OU=ops, O=Acme with DNS, e-mail and URI names, issued by the tests' client CA.
const cert::CertBundle& ops_client() {
  static const cert::CertBundle bundle = [] {
    cert::CertificateSpec spec = ecdsa_spec("CN=olga, OU=ops, O=Acme", cert::Purpose::Client);
    spec.names = {"olga.ops.acme.test", "olga@acme.test", "spiffe://acme.test/ops/olga"};
    return cert::create_certificate(spec, &pki().client_ca);
  }();
  return bundle;
}

auth::PolicyVerdict evaluate(const std::string& spec, const cert::CertBundle& client = ops_client()) {
  const auth::AuthorizationPolicy policy = auth::parse_policy(spec);
  return policy.evaluate(client.certificate.get(),
                         auth::make_principal(client.certificate.get(), "Certificate"));
}

bool passes(const std::string& rule, const cert::CertBundle& client = ops_client()) {
  return evaluate("p: " + rule, client).authorized();
}

}  // namespace

TEST_CASE("a policy is 'NAME: RULE; RULE' and every rule must pass", "[auth][policy]") {
  const auth::AuthorizationPolicy policy =
      auth::parse_policy("ops: subject matches O=Acme, OU=ops; eku clientAuth;");
  CHECK(policy.name() == "ops");
  CHECK(policy.rules() == std::vector<std::string>{"subject O=Acme, OU=ops", "eku clientAuth"});

  const auth::PolicyVerdict verdict = evaluate("ops: subject O=Acme; subject OU=finance");
  CHECK_FALSE(verdict.authorized());
  REQUIRE(verdict.rules.size() == 2);
  CHECK(verdict.rules[0].passed);
  CHECK_FALSE(verdict.rules[1].passed);
  CHECK(verdict.failure() == "policy ops: subject OU=finance: the certificate's subject has OU=ops");
}

TEST_CASE("subject rules match DN attributes exactly, all of them", "[auth][policy]") {
  CHECK(passes("subject O=Acme"));
  CHECK(passes("subject OU=ops, O=Acme"));
  CHECK(passes("subject CN=olga"));
  CHECK_FALSE(passes("subject O=acme"));  // values are exact
  CHECK_FALSE(passes("subject O=Acme Corp"));
  CHECK(evaluate("ops: subject O=Acme", pki().valid).failure() ==
        "policy ops: subject O=Acme: the certificate's subject has O=krtool tests");
  CHECK(evaluate("ops: subject C=US").failure() ==
        "policy ops: subject C=US: the certificate's subject has no C");
}

TEST_CASE("issuer is compares the whole issuer DN, in any attribute order", "[auth][policy]") {
  CHECK(passes("issuer is CN=Client CA, O=krtool tests"));
  CHECK(passes("issuer O=krtool tests, CN=Client CA"));
  CHECK_FALSE(passes("issuer is CN=Client CA"));  // a part is not the whole
  CHECK(evaluate("ca: issuer is CN=Other CA, O=elsewhere").failure() ==
        "policy ca: issuer is CN=Other CA, O=elsewhere: the certificate's issuer is 'CN=Client CA, O=krtool "
        "tests'");
}

TEST_CASE("thumbprint and key pin rules take lists in .NET's and curl's spellings", "[auth][policy]") {
  const std::string thumbprint = cert::thumbprint(ops_client().certificate.get());
  const std::string other = cert::thumbprint(pki().valid.certificate.get());
  CHECK(passes(fmt::format("thumbprint in {}, {}", other, thumbprint)));
  CHECK(passes(fmt::format("thumbprint {}", util::lower(thumbprint))));
  CHECK_FALSE(passes(fmt::format("thumbprint in {}", other)));

  const std::string pin = auth::spki_pin(ops_client().certificate.get());
  CHECK(pin.rfind("sha256//", 0) == 0);
  CHECK(pin.size() == 8 + 44);
  CHECK(passes("pin in " + pin));
  CHECK(passes("pin " + pin.substr(8)));  // the sha256// prefix may be left out
  CHECK_FALSE(passes("pin in " + auth::spki_pin(pki().valid.certificate.get())));
}

TEST_CASE("san rules match DNS names with a left-label wildcard, e-mail addresses and URIs",
          "[auth][policy]") {
  CHECK(passes("san dns:olga.ops.acme.test"));
  CHECK(passes("san dns:*.ops.acme.test"));
  CHECK(passes("san dns:OLGA.ops.acme.test"));
  CHECK_FALSE(passes("san dns:*.acme.test"));  // the wildcard stands for one label only
  CHECK(passes("san email:olga@acme.test"));
  CHECK(passes("san uri:spiffe://acme.test/ops/olga"));
  CHECK_FALSE(passes("san uri:spiffe://acme.test/ops"));
  CHECK(passes("san matches dns:nobody.test, uri:spiffe://acme.test/ops/olga"));  // any one of the list
  CHECK(evaluate("p: san dns:*.finance.acme.test").failure() ==
        "policy p: san matches dns:*.finance.acme.test: no subject alternative name matches; the certificate "
        "has dns:olga.ops.acme.test, email:olga@acme.test, uri:spiffe://acme.test/ops/olga");
}

TEST_CASE("eku rules need every usage named, by name or OID", "[auth][policy]") {
  CHECK(passes("eku clientAuth"));
  CHECK(passes("eku 1.3.6.1.5.5.7.3.2"));
  CHECK_FALSE(passes("eku serverAuth"));
  CHECK(evaluate("p: eku clientAuth", pki().server_auth_only).failure() ==
        "policy p: eku clientAuth: the certificate's extended key usage has no clientAuth; it has Server "
        "Authentication");
}

TEST_CASE("claim rules compare the principal's claims, by full type or its last segment", "[auth][policy]") {
  CHECK(passes("claim name=CN=olga, OU=ops, O=Acme"));
  CHECK(passes("claim http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name=CN=olga, OU=ops, O=Acme"));
  CHECK(passes("claim issuer=CN=Client CA, O=krtool tests"));
  CHECK(evaluate("p: claim role=admin").failure() ==
        "policy p: claim role=admin: the principal has no claim 'role'");
  CHECK(evaluate("p: claim issuer=CN=Other").failure() ==
        "policy p: claim issuer=CN=Other: the principal's claim issuer is 'CN=Client CA, O=krtool tests'");
}

TEST_CASE("a malformed policy names the policy, the rule and the fix", "[auth][policy]") {
  const Error typo = error_from([] { auth::parse_policy("ops: subjct O=Acme"); });
  CHECK(typo.code() == Errc::Usage);
  CHECK(std::string(typo.what()) == "--policy: policy 'ops': rule 'subjct O=Acme': 'subjct' is not a rule");
  CHECK(typo.hint().find("did you mean 'subject'?") == 0);

  struct Case {
    std::string spec;
    std::string message;  // a part of what() or of the hint
  };
  const Case c = GENERATE(values<Case>({
      {"subject O=Acme", "the policy has no name"},
      {"ops:  ; ", "--policy: policy 'ops' has no rule"},
      {"ops: thumbprint in 12AB", "'12AB' is not a SHA-1 thumbprint"},
      {"ops: pin sha256//abc", "is not a SHA-256 key pin"},
      // Found while writing the grammar's fuzz target: a long pin was decoded before its length was
      // checked, over the stack past a 64-byte buffer (a crash at 12000 characters; ASan does not see
      // libcrypto's writes, so shorter ones went unnoticed).
      {"ops: pin " + std::string(12000, 'A'), "is not a SHA-256 key pin"},
      {"ops: san olga.acme.test", "dns:, email: or uri:"},
      {"ops: san dns:olga.*.test", "a wildcard stands only for the leftmost label"},
      {"ops: san email:*@acme.test", "only dns: names take a wildcard"},
      {"ops: eku clientauthentication", "is not an extended key usage"},
      {"ops: subject Acme", "is not a distinguished name"},
      {"ops: claim role", "claim TYPE=VALUE"},
      {"ops: issuer is", "it has no value"},
      {"o p s: eku clientAuth", "is not a policy name"},
  }));
  CAPTURE(c.spec);
  const Error error = error_from([&] { auth::parse_policy(c.spec); });
  CHECK(error.code() == Errc::Usage);
  CHECK_THAT(std::string(error.what()) + " / " + error.hint(), Catch::Contains(c.message));
}

}  // namespace krtool::test
