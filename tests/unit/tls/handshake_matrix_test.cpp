// The TLS layer specified by real handshakes in memory: client-certificate mode × validation policy ×
// client certificate × protocol version, checking the alert the client receives and the verdict the
// access log shows.
#include <catch2/catch.hpp>
#include <string>

#include "krtool/tls/policy.hpp"
#include "unit/auth/auth_fixtures.hpp"
#include "unit/tls/tls_fixtures.hpp"
#include "unit/tls/validation_fixtures.hpp"

namespace krtool::test {
namespace {

std::string protocol_name(int version) { return version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"; }

// A server with `mode` spelled as a user would (Kestrel's names included) and `policy` by name:
// "strict" for none, else one of the three built-in callbacks.
TestServer server_for(const std::string& mode, const std::string& policy, LogLines* log = nullptr) {
  tls::ServerTlsOptions options = server_options(tls::parse_client_cert_mode(mode));
  if (policy != "strict") options.policy = tls::builtin_policy(policy);
  if (log != nullptr) options.log = log->sink();
  return TestServer(std::move(options));
}

struct Row {
  ClientKind client;
  std::string alert;    // what the client receives
  std::string verdict;  // the access log's tls= field (for a refused handshake: the recorded verdict)
};

}  // namespace

TEST_CASE("mode none asks for no certificate: every client completes and the log says no certificate",
          "[tls][handshake]") {
  const std::string mode = GENERATE("none", "NoCertificate");
  const std::string policy = GENERATE("strict", "AllowAny", "AllowMissingOrSelfSignedForDevelopment");
  const ClientKind client = GENERATE(ClientKind::None, ClientKind::Valid, ClientKind::SelfSigned);
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(mode, policy, to_string(client), protocol_name(version));

  const HandshakeOutcome outcome = server_for(mode, policy).connect(client, version);
  CHECK(outcome.completed);
  CHECK(outcome.alert_name() == "none");
  CHECK(outcome.protocol == protocol_name(version));
  CHECK(outcome.access_log_tls == "no certificate");
}

TEST_CASE("strict validation accepts only a chain to a trusted CA, and each refusal has its own alert",
          "[tls][handshake]") {
  const std::string mode = GENERATE("allow", "AllowCertificate", "require", "RequireCertificate");
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const Row row = GENERATE(values<Row>({
      {ClientKind::Valid, "none", "accepted (None)"},
      {ClientKind::SelfSigned, "unknown CA", "rejected (RemoteCertificateChainErrors)"},
      {ClientKind::OtherCa, "unknown CA", "rejected (RemoteCertificateChainErrors)"},
      {ClientKind::Expired, "certificate expired", "rejected (RemoteCertificateChainErrors)"},
      {ClientKind::ServerAuthOnly, "unsupported certificate", "rejected (RemoteCertificateChainErrors)"},
  }));
  CAPTURE(mode, protocol_name(version), to_string(row.client));

  LogLines log;
  const HandshakeOutcome outcome = server_for(mode, "strict", &log).connect(row.client, version);
  CHECK(outcome.alert_name() == row.alert);
  CHECK(outcome.completed == (row.alert == "none"));
  CHECK(outcome.access_log_tls == row.verdict);
  if (row.alert == "none") {
    CHECK(log.lines->empty());
  } else {
    // The server's log says whose certificate was refused, by what, and OpenSSL's reason.
    REQUIRE(log.lines->size() >= 1);
    CHECK_THAT(log.lines->front(),
               Catch::Contains("tls: rejected client certificate '" + outcome.verdict->subject + "'") &&
                   Catch::Contains("by strict validation ["));
  }
}

TEST_CASE(
    "the three built-in callbacks accept every certificate presented, the chain's errors in the verdict",
    "[tls][handshake]") {
  const std::string policy =
      GENERATE("AllowAny", "AllowSelfSignedForDevelopment", "AllowMissingOrSelfSignedForDevelopment");
  const std::string mode = GENERATE("allow", "require");
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const Row row = GENERATE(values<Row>({
      {ClientKind::Valid, "none", "(None)"},
      {ClientKind::SelfSigned, "none", "(RemoteCertificateChainErrors)"},
      {ClientKind::OtherCa, "none", "(RemoteCertificateChainErrors)"},
      {ClientKind::Expired, "none", "(RemoteCertificateChainErrors)"},
      {ClientKind::ServerAuthOnly, "none", "(RemoteCertificateChainErrors)"},
  }));
  CAPTURE(policy, mode, protocol_name(version), to_string(row.client));

  const HandshakeOutcome outcome = server_for(mode, policy).connect(row.client, version);
  CHECK(outcome.completed);
  CHECK(outcome.alert_name() == row.alert);
  CHECK(outcome.access_log_tls == "accepted by " + policy + " " + row.verdict);
}

TEST_CASE("a client without a certificate passes allow and fails require, whatever the policy",
          "[tls][handshake]") {
  const std::string policy = GENERATE("strict", "AllowAny", "AllowSelfSignedForDevelopment",
                                      "AllowMissingOrSelfSignedForDevelopment");
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(policy, protocol_name(version));

  const HandshakeOutcome allowed = server_for("allow", policy).connect(ClientKind::None, version);
  CHECK(allowed.completed);
  CHECK(allowed.access_log_tls == "no certificate");

  // TLS 1.3 has an alert for this; TLS 1.2 ends with handshake_failure. Either way the log says why.
  LogLines log;
  const HandshakeOutcome required = server_for("require", policy, &log).connect(ClientKind::None, version);
  CHECK_FALSE(required.completed);
  CHECK(required.alert_name() == (version == TLS1_3_VERSION ? "certificate required" : "handshake failure"));
  CHECK_THAT(log.all(), Catch::Contains("no client certificate was sent and --client-cert-mode is require"));
}

TEST_CASE("with --check-certificate-revocation and the CA's CRL, a listed certificate is refused as revoked",
          "[tls][handshake][revocation]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const std::string mode = GENERATE("allow", "require");
  CAPTURE(protocol_name(version), mode);
  tls::ServerTlsOptions options = server_options(tls::parse_client_cert_mode(mode));
  options.check_certificate_revocation = true;
  options.crls.push_back(make_crl(pki().client_ca, {pki().revoked.certificate.get()}));
  LogLines log;
  options.log = log.sink();
  const TestServer server(std::move(options));

  const HandshakeOutcome valid = server.connect(ClientKind::Valid, version);
  CHECK(valid.completed);
  CHECK(valid.access_log_tls == "accepted (None)");

  const HandshakeOutcome revoked = server.connect(ClientKind::Revoked, version);
  CHECK_FALSE(revoked.completed);
  CHECK(revoked.alert_name() == "certificate revoked");
  CHECK(revoked.access_log_tls == "rejected (RemoteCertificateChainErrors)");
  CHECK_THAT(log.all(), Catch::Contains("certificate revoked"));
}

TEST_CASE("a revoked certificate is only a chain error to the built-in callbacks, which accept it",
          "[tls][handshake][revocation]") {
  const std::string policy =
      GENERATE("AllowAny", "AllowSelfSignedForDevelopment", "AllowMissingOrSelfSignedForDevelopment");
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(policy, protocol_name(version));
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.check_certificate_revocation = true;
  options.crls.push_back(make_crl(pki().client_ca, {pki().revoked.certificate.get()}));
  options.policy = tls::builtin_policy(policy);
  const HandshakeOutcome outcome = TestServer(std::move(options)).connect(ClientKind::Revoked, version);
  CHECK(outcome.completed);
  CHECK(outcome.access_log_tls == "accepted by " + policy + " (RemoteCertificateChainErrors)");
  REQUIRE(outcome.verdict.has_value());
  CHECK_THAT(outcome.verdict->reasons.front(), Catch::Contains("certificate revoked"));
}

TEST_CASE("revocation checking without the issuer's CRL refuses the certificate: it cannot be checked",
          "[tls][handshake][revocation]") {
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.check_certificate_revocation = true;
  options.crls.push_back(make_crl(pki().other_ca));  // not the client CA's
  const HandshakeOutcome outcome = TestServer(std::move(options)).connect(ClientKind::Valid);
  CHECK_FALSE(outcome.completed);
  CHECK(outcome.access_log_tls == "rejected (RemoteCertificateChainErrors)");
  REQUIRE(outcome.verdict.has_value());
  CHECK_THAT(outcome.verdict->reasons.front(), Catch::Contains("unable to get certificate CRL"));
}

TEST_CASE("compiled validation code decides in the handshake: a subject allow-list",
          "[tls][handshake][validation]") {
  const tls::LoadedPolicy loaded = CodeLab::shared_body(R"(
return certificate != nullptr && certificate->subject() == "CN=mallory, O=self";
)");
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = loaded.policy;
  const TestServer server(std::move(options));
  const std::string name = loaded.policy->name();

  // The code alone decides: it accepts the self-signed mallory and refuses the CA-issued alice, whose
  // refusal of a sound chain is bad_certificate.
  const HandshakeOutcome mallory = server.connect(ClientKind::SelfSigned);
  CHECK(mallory.completed);
  CHECK(mallory.access_log_tls == "accepted by " + name + " (RemoteCertificateChainErrors)");
  const HandshakeOutcome alice = server.connect(ClientKind::Valid, TLS1_2_VERSION);
  CHECK_FALSE(alice.completed);
  CHECK(alice.alert_name() == "bad certificate");
  CHECK(alice.access_log_tls == "rejected by " + name + " (None)");
}

TEST_CASE("the injected clock decides what expired and not yet valid mean", "[tls][handshake][clock]") {
  struct Case {
    std::string when;
    std::chrono::hours offset;
    std::string alert;
  };
  const Case c = GENERATE(values<Case>({
      {"today", std::chrono::hours(0), "none"},
      {"in two years, after the leaf's 365 days", std::chrono::hours(24 * 730), "certificate expired"},
      {"a day ago, before the certificates were made", -std::chrono::hours(24), "bad certificate"},
  }));
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(c.when, protocol_name(version));
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  const TimePoint at = now_seconds() + c.offset;
  options.now = [at] { return at; };
  const HandshakeOutcome outcome = TestServer(std::move(options)).connect(ClientKind::Valid, version);
  CHECK(outcome.alert_name() == c.alert);
  CHECK(outcome.completed == (c.alert == "none"));
}

TEST_CASE("the CertificateRequest names the trusted issuers", "[tls][handshake]") {
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Allow);
  options.trust_ca.push_back(ossl::up_ref(pki().other_ca.certificate.get()));
  const HandshakeOutcome outcome = TestServer(std::move(options)).connect(ClientKind::Valid);
  CHECK(outcome.completed);
  CHECK(outcome.client_ca_names ==
        std::vector<std::string>{"CN=Client CA, O=krtool tests", "CN=Other CA, O=elsewhere"});
}

}  // namespace krtool::test
