// The certificate authentication scheme (Kestrun's ClientCertificateAuthHandler, reference §7): no
// certificate gives no result; otherwise type, validity, client-auth use and chain are checked in that
// order, the first failure being the reason; success yields Kestrun's claims.
#include "krtool/auth/certificate_scheme.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "auth_fixtures.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"

using namespace krtool;
using namespace krtool::auth;
using namespace krtool::test;
using cert::CertBundle;
using cert::create_certificate;
using cert::Purpose;
using Outcome = AuthResult::Outcome;

namespace {

CertificateSchemeOptions allowing(AllowedCertificateTypes types) {
  CertificateSchemeOptions options;
  options.allowed_types = types;
  return options;
}

AuthResult authenticate(CertificateSchemeOptions options, X509* certificate,
                        STACK_OF(X509) * chain = nullptr) {
  const CertificateScheme scheme(std::move(options));
  return scheme.authenticate(certificate, chain);
}

cert::CertificateSpec expired_spec(const std::string& name, Purpose purpose = Purpose::Client) {
  cert::CertificateSpec spec = client_spec(name, purpose);
  spec.not_before = from_time_t(1'700'000'000);
  spec.not_after = from_time_t(1'700'000'000 + 86'400);
  return spec;
}

// Hierarchy is a root CA, an intermediate it signed, and a client leaf the intermediate signed.
struct Hierarchy {
  CertBundle root = create_certificate(ca_spec("CN=Auth Test Root CA, O=krtool tests"));
  CertBundle intermediate = create_certificate(ca_spec("CN=Auth Test Intermediate CA"), &root);
  CertBundle leaf = create_certificate(client_spec("alice"), &intermediate);

  CertificateSchemeOptions trusting_root(RevocationMode mode = RevocationMode::NoCheck) const {
    CertificateSchemeOptions options;
    options.custom_trust_store = trust_only(root.certificate.get());
    options.revocation_mode = mode;
    return options;
  }
};

}  // namespace

TEST_CASE("no certificate gives no result", "[auth]") {
  const AuthResult result = authenticate({}, nullptr);
  CHECK(result.outcome == Outcome::NoResult);
  CHECK(result.failure.empty());
  CHECK(result.principal.claims.empty());
}

TEST_CASE("a self-signed certificate is not allowed when only chained certificates are", "[auth][type]") {
  const CertBundle client = create_certificate(client_spec("self.example"));
  const AuthResult result =
      authenticate(allowing(AllowedCertificateTypes::Chained), client.certificate.get());
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure == "Certificate type not allowed: SelfSigned");
}

TEST_CASE("a chained certificate is not allowed when only self-signed certificates are", "[auth][type]") {
  const Hierarchy pki;
  CertificateSchemeOptions options = pki.trusting_root();
  options.allowed_types = AllowedCertificateTypes::SelfSigned;
  const auto chain = presented_chain(pki.leaf);
  const AuthResult result = authenticate(std::move(options), pki.leaf.certificate.get(), chain.get());
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure == "Certificate type not allowed: Chained");
}

TEST_CASE("self-signed means the subject equals the issuer, compared as .NET-formatted strings",
          "[auth][type]") {
  // An issuer-signed certificate whose subject repeats its issuer's name counts as self-signed.
  const CertBundle ca = create_certificate(ca_spec("CN=twin"));
  cert::CertificateSpec spec = client_spec("twin");
  spec.subject = "CN=twin";
  const CertBundle twin = create_certificate(spec, &ca);
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::Chained), twin.certificate.get());
  CHECK(result.failure == "Certificate type not allowed: SelfSigned");
}

TEST_CASE("the type check comes first: an expired self-signed certificate fails on its type",
          "[auth][order]") {
  const CertBundle client = create_certificate(expired_spec("old.example", Purpose::Server));
  const AuthResult result =
      authenticate(allowing(AllowedCertificateTypes::Chained), client.certificate.get());
  CHECK(result.failure == "Certificate type not allowed: SelfSigned");
}

TEST_CASE("an expired certificate is not within its validity period", "[auth][validity]") {
  const CertBundle client = create_certificate(expired_spec("old.example"));
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure == "Certificate is not within its validity period");
}

TEST_CASE("a certificate that is not yet valid is not within its validity period", "[auth][validity]") {
  cert::CertificateSpec spec = client_spec("future.example");
  spec.not_before = now_seconds() + std::chrono::hours(24);
  spec.not_after = now_seconds() + std::chrono::hours(48);
  const CertBundle client = create_certificate(spec);
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.failure == "Certificate is not within its validity period");
}

TEST_CASE("the validity period is not checked when validate_validity_period is off", "[auth][validity]") {
  const CertBundle client = create_certificate(expired_spec("old.example"));
  CertificateSchemeOptions options = allowing(AllowedCertificateTypes::All);
  options.validate_validity_period = false;
  const AuthResult result = authenticate(std::move(options), client.certificate.get());
  CHECK(result.outcome == Outcome::Success);
}

TEST_CASE("the validity check comes before the use check", "[auth][order]") {
  const CertBundle client = create_certificate(expired_spec("old.example", Purpose::Server));
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.failure == "Certificate is not within its validity period");
}

TEST_CASE("a server-only certificate does not have Client Authentication usage", "[auth][use]") {
  const CertBundle client = create_certificate(client_spec("server.example", Purpose::Server));
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure == "Certificate does not have Client Authentication usage");
}

TEST_CASE("a certificate without any EKU fails the use check, stricter than ASP.NET", "[auth][use]") {
  const CertBundle client = create_certificate(client_spec("plain.example", Purpose::None));
  REQUIRE(cert::describe(client.certificate.get()).enhanced_key_usage_oids.empty());
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.failure == "Certificate does not have Client Authentication usage");
}

TEST_CASE("a certificate with both purposes has Client Authentication usage", "[auth][use]") {
  const CertBundle client = create_certificate(client_spec("both.example", Purpose::Both));
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.outcome == Outcome::Success);
}

TEST_CASE("the use is not checked when validate_certificate_use is off", "[auth][use]") {
  const CertBundle client = create_certificate(client_spec("plain.example", Purpose::None));
  CertificateSchemeOptions options = allowing(AllowedCertificateTypes::All);
  options.validate_certificate_use = false;
  CHECK(authenticate(std::move(options), client.certificate.get()).outcome == Outcome::Success);
}

TEST_CASE(
    "a self-signed certificate skips the chain check when self-signed ones are allowed and no trust store is "
    "given",
    "[auth][chain]") {
  const CertBundle client = create_certificate(client_spec("self.example"));
  // Online mode would fail a certificate without a distribution point if the chain were checked.
  for (const auto types : {AllowedCertificateTypes::SelfSigned, AllowedCertificateTypes::All}) {
    CertificateSchemeOptions options = allowing(types);
    options.revocation_mode = RevocationMode::Online;
    INFO(to_string(types));
    CHECK(authenticate(std::move(options), client.certificate.get()).outcome == Outcome::Success);
  }
}

TEST_CASE("a self-signed certificate is checked against a custom trust store that does not hold it",
          "[auth][chain]") {
  const CertBundle client = create_certificate(client_spec("self.example"));
  const CertBundle stranger = create_certificate(client_spec("stranger.example"));
  CertificateSchemeOptions options = allowing(AllowedCertificateTypes::All);
  options.custom_trust_store = trust_only(stranger.certificate.get());
  const AuthResult result = authenticate(std::move(options), client.certificate.get());
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure ==
        "Certificate chain validation failed: UntrustedRoot: self-signed certificate (depth 0, "
        "'CN=self.example')");
}

TEST_CASE(
    "a self-signed certificate in the custom trust store passes, with no CRL needed even in Online mode",
    "[auth][chain]") {
  // The tutorial's set-up: AllowedCertificateTypes All and the client certificate as the trust store.
  const CertBundle client = create_certificate(client_spec("test-client"));
  CertificateSchemeOptions options = allowing(AllowedCertificateTypes::All);
  options.custom_trust_store = trust_only(client.certificate.get());
  options.revocation_mode = RevocationMode::Online;  // ExcludeRoot: a lone root has no CRL to check
  const AuthResult result = authenticate(std::move(options), client.certificate.get());
  CHECK(result.outcome == Outcome::Success);
  CHECK(result.principal.name == "CN=test-client");
}

TEST_CASE("a chained certificate whose root is in the custom trust store passes", "[auth][chain]") {
  const Hierarchy pki;
  const auto chain = presented_chain(pki.leaf);
  const AuthResult result = authenticate(pki.trusting_root(), pki.leaf.certificate.get(), chain.get());
  CHECK(result.outcome == Outcome::Success);
  CHECK(result.failure.empty());
}

TEST_CASE("a chained certificate whose intermediate was not presented is a partial chain", "[auth][chain]") {
  const Hierarchy pki;
  const AuthResult result = authenticate(pki.trusting_root(), pki.leaf.certificate.get(), nullptr);
  CHECK(result.failure ==
        "Certificate chain validation failed: PartialChain: unable to get local issuer certificate "
        "(depth 0, 'CN=alice', issued by 'CN=Auth Test Intermediate CA')");
}

TEST_CASE("a chained certificate from a CA that the system does not trust fails with the system store",
          "[auth][chain]") {
  const Hierarchy pki;
  SECTION("the client also sends the root: an untrusted root") {
    cert::CertBundle sent;
    sent.chain.push_back(ossl::up_ref(pki.intermediate.certificate.get()));
    sent.chain.push_back(ossl::up_ref(pki.root.certificate.get()));
    const auto chain = presented_chain(sent);
    const AuthResult result = authenticate({}, pki.leaf.certificate.get(), chain.get());
    CHECK(result.failure ==
          "Certificate chain validation failed: UntrustedRoot: self-signed certificate in certificate chain "
          "(depth 2, 'CN=Auth Test Root CA, O=krtool tests')");
  }
  SECTION("the client sends the intermediate only: a partial chain") {
    cert::CertBundle sent;
    sent.chain.push_back(ossl::up_ref(pki.intermediate.certificate.get()));
    const auto chain = presented_chain(sent);
    const AuthResult result = authenticate({}, pki.leaf.certificate.get(), chain.get());
    CHECK(result.failure ==
          "Certificate chain validation failed: PartialChain: unable to get local issuer certificate "
          "(depth 1, 'CN=Auth Test Intermediate CA', issued by 'CN=Auth Test Root CA, O=krtool tests')");
  }
}

TEST_CASE("the chain check reports every problem it finds, joined with commas", "[auth][chain]") {
  // An expired leaf under an untrusted root, with validity not checked separately: the chain
  // still sees the expiry, as .NET's X509Chain does (Kestrun sets no IgnoreNotTimeValid).
  const CertBundle root = create_certificate(ca_spec("CN=Unknown Root"));
  const CertBundle leaf = create_certificate(expired_spec("old-alice"), &root);
  CertificateSchemeOptions options;
  options.validate_validity_period = false;
  options.revocation_mode = RevocationMode::NoCheck;
  const auto chain = presented_chain(leaf);
  const AuthResult result = authenticate(std::move(options), leaf.certificate.get(), chain.get());
  CHECK(result.failure ==
        "Certificate chain validation failed: UntrustedRoot: self-signed certificate in certificate chain "
        "(depth 1, 'CN=Unknown Root'), NotTimeValid: certificate has expired (depth 0, 'CN=old-alice')");
}

TEST_CASE("the use check comes before the chain check", "[auth][order]") {
  const Hierarchy pki;
  const CertBundle server_leaf =
      create_certificate(client_spec("web.example", Purpose::Server), &pki.intermediate);
  const AuthResult result = authenticate({}, server_leaf.certificate.get(), nullptr);
  CHECK(result.failure == "Certificate does not have Client Authentication usage");
}

TEST_CASE("success yields Kestrun's claims in Kestrun's order", "[auth][claims]") {
  const Hierarchy pki;
  cert::CertificateSpec spec = client_spec("alice");
  spec.subject = "CN=alice, OU=Dev, O=Acme, C=US";
  const CertBundle client = create_certificate(spec, &pki.intermediate);
  CertificateSchemeOptions options = pki.trusting_root();
  options.name = "ClientCert";
  const auto chain = presented_chain(client);
  const AuthResult result = authenticate(std::move(options), client.certificate.get(), chain.get());

  REQUIRE(result.outcome == Outcome::Success);
  const std::string subject = "CN=alice, OU=Dev, O=Acme, C=US";
  CHECK(result.principal.authentication_type == "ClientCert");
  CHECK(result.principal.name == subject);
  REQUIRE(result.principal.claims.size() == 5);
  const auto& claims = result.principal.claims;
  CHECK(claims[0].type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier");
  CHECK(claims[0].value == subject);
  CHECK(claims[1].type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name");
  CHECK(claims[1].value == subject);
  CHECK(claims[2].type == "thumbprint");
  CHECK(claims[2].value == cert::thumbprint(client.certificate.get()));
  CHECK(claims[2].value.size() == 40);
  CHECK(claims[2].value.find_first_not_of("0123456789ABCDEF") == std::string::npos);
  CHECK(claims[3].type == "issuer");
  CHECK(claims[3].value == "CN=Auth Test Intermediate CA");
  CHECK(claims[4].type == "serialnumber");
  CHECK(claims[4].value == cert::serial_number(client.certificate.get()));
  CHECK_FALSE(claims[4].value.empty());
}

TEST_CASE("the default scheme is named Certificate and a self-signed client's issuer claim is itself",
          "[auth][claims]") {
  const CertBundle client = create_certificate(client_spec("test-client"));
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  REQUIRE(result.outcome == Outcome::Success);
  CHECK(result.principal.authentication_type == "Certificate");
  CHECK(result.principal.claims[3].value == "CN=test-client");
}

TEST_CASE("an unreadable extension becomes an exception during authentication", "[auth][exception]") {
  const CertBundle client = create_certificate(client_spec("damaged.example"));
  // A second EKU extension makes the certificate's EKU ambiguous, which OpenSSL refuses to decode.
  ossl::UniquePtr<X509_EXTENSION> duplicate(
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, "clientAuth"));
  REQUIRE(duplicate != nullptr);
  REQUIRE(X509_add_ext(client.certificate.get(), duplicate.get(), -1) == 1);
  const AuthResult result = authenticate(allowing(AllowedCertificateTypes::All), client.certificate.get());
  CHECK(result.outcome == Outcome::Failure);
  CHECK_THAT(result.failure,
             Catch::StartsWith("Exception during authentication: reading the client certificate's "
                               "extended key usage"));
}

TEST_CASE("relaxations lists each setting weaker than the defaults", "[auth][options]") {
  CHECK(CertificateScheme(CertificateSchemeOptions{}).relaxations().empty());
  CertificateSchemeOptions options = allowing(AllowedCertificateTypes::All);
  options.revocation_mode = RevocationMode::NoCheck;
  options.validate_certificate_use = false;
  options.validate_validity_period = false;
  CHECK(CertificateScheme(std::move(options)).relaxations() ==
        std::vector<std::string>{"allowed certificate types All", "revocation mode NoCheck",
                                 "certificate use not validated", "validity period not validated"});
  CHECK(CertificateScheme(allowing(AllowedCertificateTypes::SelfSigned)).relaxations() ==
        std::vector<std::string>{"allowed certificate types SelfSigned"});
  CertificateSchemeOptions offline;
  offline.revocation_mode = RevocationMode::Offline;
  CHECK(CertificateScheme(std::move(offline)).relaxations().empty());
}

TEST_CASE("allowed certificate types parse from the short and the .NET spellings", "[auth][options]") {
  CHECK(parse_allowed_types("chained") == AllowedCertificateTypes::Chained);
  CHECK(parse_allowed_types("Chained") == AllowedCertificateTypes::Chained);
  CHECK(parse_allowed_types("selfsigned") == AllowedCertificateTypes::SelfSigned);
  CHECK(parse_allowed_types("SelfSigned") == AllowedCertificateTypes::SelfSigned);
  CHECK(parse_allowed_types("ALL") == AllowedCertificateTypes::All);
  CHECK(to_string(AllowedCertificateTypes::SelfSigned) == "SelfSigned");
  try {
    parse_allowed_types("self-signed");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.code() == Errc::Usage);
    CHECK(std::string(error.what()) == "--allowed-certificate-types: unknown certificate type 'self-signed'");
    CHECK(error.hint() == "choose chained, selfsigned or all");
  }
}

TEST_CASE("revocation modes parse from the short and the .NET spellings", "[auth][options]") {
  CHECK(parse_revocation_mode("nocheck") == RevocationMode::NoCheck);
  CHECK(parse_revocation_mode("NoCheck") == RevocationMode::NoCheck);
  CHECK(parse_revocation_mode("Online") == RevocationMode::Online);
  CHECK(parse_revocation_mode("offline") == RevocationMode::Offline);
  CHECK(to_string(RevocationMode::Offline) == "Offline");
  try {
    parse_revocation_mode("ocsp", "revocationMode");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.code() == Errc::Usage);
    CHECK(std::string(error.what()) == "revocationMode: unknown revocation mode 'ocsp'");
    CHECK(error.hint() == "choose nocheck, online or offline");
  }
}
