// The TLS layer specified by real handshakes in memory: client-certificate mode × validation policy
// (strict, the three built-in callbacks, compiled validation code) × client certificate (none, valid,
// self-signed, another CA's, expired, serverAuth-only, revoked with revocation checking on) × protocol
// version, checking the alert the client receives and the verdict the access log shows.
//
// Every expectation is a rule of the guide (docs/client-certificate-authentication.md 3.1, 3.3, 3.5,
// 4.3) or of Kestrel's semantics (reference/kestrun.md §6, §11), quoted above the test that checks it,
// not what the code happens to do.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "krtool/tls/policy.hpp"
#include "unit/auth/auth_fixtures.hpp"
#include "unit/tls/tls_fixtures.hpp"
#include "unit/tls/validation_fixtures.hpp"

namespace krtool::test {
namespace {

std::string protocol_name(int version) { return version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"; }

// The matrix's validation code is the guide's snippet (3.5) behind a deny-list: it refuses alice, whose
// chain is sound, and eve of another CA, and lets the snippet decide the rest. Compiled on first use
// into the build's shared cache (CodeLab::shared_body): a compile takes about a second.
constexpr const char* kValidationCode = R"(
static const std::set<std::string> denied = {"CN=alice, O=krtool tests", "CN=eve, O=elsewhere"};
if (certificate == nullptr) return true;   // allow mode
if (denied.count(certificate->subject()) != 0) return false;
return sslPolicyErrors == SslPolicyErrors::None
    || sslPolicyErrors == SslPolicyErrors::RemoteCertificateChainErrors;   // dev only
)";

std::shared_ptr<const tls::ClientCertPolicy> validation_code() {
  // ctest runs each case in a process of its own; the shared cache spares most of them the compile.
  static const tls::LoadedPolicy loaded = CodeLab::shared_body(kValidationCode);
  return loaded.policy;
}

// policy_named is the matrix's policy: "strict" for none, "code" for the validation code, else one of
// the three built-in callbacks.
std::shared_ptr<const tls::ClientCertPolicy> policy_named(const std::string& name) {
  if (name == "strict") return nullptr;
  if (name == "code") return validation_code();
  return tls::builtin_policy(name);
}

std::string decided_by(const std::string& policy) {
  return policy == "strict" ? "strict validation" : policy_named(policy)->name();
}

// server_for is a server with `mode` spelled as a user would (Kestrel's names included) and `policy`.
// For the revoked client it checks revocation against the client CA's CRL, which lists that client
// (--check-certificate-revocation --crl), as the matrix's revoked row is defined.
TestServer server_for(const std::string& mode, const std::string& policy, ClientKind client,
                      LogLines* log = nullptr) {
  tls::ServerTlsOptions options = server_options(tls::parse_client_cert_mode(mode));
  options.policy = policy_named(policy);
  if (client == ClientKind::Revoked) {
    options.check_certificate_revocation = true;
    options.crls.push_back(make_crl(pki().client_ca, {pki().revoked.certificate.get()}));
  }
  if (log != nullptr) options.log = log->sink();
  return TestServer(std::move(options));
}

const char* const kPolicies[] = {"strict", "AllowAny", "AllowSelfSignedForDevelopment",
                                 "AllowMissingOrSelfSignedForDevelopment", "code"};

struct Row {
  ClientKind client;
  std::string alert;    // what the client receives
  std::string verdict;  // the access log's tls= field (for a refused handshake: the recorded verdict)
};

// Presented is a client that presents a certificate, and .NET's X509ChainStatus of its chain's first
// problem (3.5's list), "" for a sound chain. The status does not depend on the mode or the policy: the
// chain is checked the same way before any policy is asked.
struct Presented {
  ClientKind client;
  std::string status;
};
const Presented kPresented[] = {
    {ClientKind::Valid, ""},
    {ClientKind::SelfSigned, "UntrustedRoot"},
    {ClientKind::OtherCa, "UntrustedRoot"},  // eve sends her CA, which no one trusts
    {ClientKind::Expired, "NotTimeValid"},
    {ClientKind::ServerAuthOnly, "NotValidForUsage"},
    {ClientKind::Revoked, "Revoked"},
};

std::string status_of(ClientKind client) {
  for (const Presented& presented : kPresented) {
    if (presented.client == client) return presented.status;
  }
  FAIL("no status for " << to_string(client));
  return {};
}

std::string errors_of(ClientKind client) {
  return status_of(client).empty() ? "None" : "RemoteCertificateChainErrors";
}

// check_chain checks the verdict's chain errors and first reason: what the access log and the log line
// of a refusal are made of.
void check_chain(const HandshakeOutcome& outcome, ClientKind client) {
  REQUIRE(outcome.verdict.has_value());
  const std::string status = status_of(client);
  CHECK(outcome.verdict->subject ==
        cert::format_dn(X509_get_subject_name(pki().client(client)->certificate.get())));
  if (status.empty()) {
    CHECK(outcome.verdict->errors == SslPolicyErrors::None);
    CHECK(outcome.verdict->reasons.empty());
    CHECK(outcome.chain_error.empty());
  } else {
    CHECK(outcome.verdict->errors == SslPolicyErrors::RemoteCertificateChainErrors);
    REQUIRE_FALSE(outcome.verdict->reasons.empty());
    CHECK_THAT(outcome.verdict->reasons.front(), Catch::StartsWith(status + ": "));
    // What a proxy route forwards for the connection (X-SSL-Client-Verify: FAILED:<reason>).
    if (outcome.completed) CHECK(outcome.chain_error == outcome.verdict->reasons.front());
  }
}

// check_refusal_logged checks the server's line for a refused handshake: whose certificate, by what,
// and the chain's reasons.
void check_refusal_logged(const LogLines& log, const HandshakeOutcome& outcome, const std::string& by) {
  REQUIRE(log.lines->size() >= 1);
  CHECK_THAT(log.lines->front(),
             Catch::Contains("tls: rejected client certificate '" + outcome.verdict->subject + "'") &&
                 Catch::Contains("by " + by));
  if (!outcome.verdict->reasons.empty())
    CHECK_THAT(log.lines->front(), Catch::Contains("[" + outcome.verdict->reasons.front()));
}

}  // namespace

// 3.1: "none (NoCertificate): never request a client certificate." Whatever the policy and whatever the
// client holds, no certificate travels and none is judged.
TEST_CASE("mode none asks for no certificate: every client completes and the log says no certificate",
          "[tls][handshake]") {
  const std::string mode = GENERATE("none", "NoCertificate");
  const std::string policy = GENERATE(from_range(std::begin(kPolicies), std::end(kPolicies)));
  const ClientKind client =
      GENERATE(ClientKind::None, ClientKind::Valid, ClientKind::SelfSigned, ClientKind::OtherCa,
               ClientKind::Expired, ClientKind::ServerAuthOnly, ClientKind::Revoked);
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(mode, policy, to_string(client), protocol_name(version));

  const HandshakeOutcome outcome = server_for(mode, policy, client).connect(client, version);
  CHECK(outcome.completed);
  CHECK(outcome.alert_name() == "none");
  CHECK(outcome.protocol == protocol_name(version));
  CHECK_FALSE(outcome.verdict.has_value());
  CHECK(outcome.access_log_tls == "no certificate");
}

// 3.3: "without a callback, only None is accepted (strict, as Kestrel)"; every chain error is
// RemoteCertificateChainErrors ("unknown issuer, self-signed, expired, no clientAuth usage, revoked")
// and "keeps OpenSSL's own alert (48 unknown CA, 45 certificate expired, 43 unsupported certificate)";
// 4.3: a revoked certificate ends the handshake "with alert 44 certificate_revoked".
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
      {ClientKind::Revoked, "certificate revoked", "rejected (RemoteCertificateChainErrors)"},
  }));
  CAPTURE(mode, protocol_name(version), to_string(row.client));

  LogLines log;
  const HandshakeOutcome outcome = server_for(mode, "strict", row.client, &log).connect(row.client, version);
  CHECK(outcome.alert_name() == row.alert);
  CHECK(outcome.completed == (row.alert == "none"));
  CHECK(outcome.access_log_tls == row.verdict);
  check_chain(outcome, row.client);
  if (row.alert == "none") {
    CHECK(log.lines->empty());
  } else {
    check_refusal_logged(log, outcome, "strict validation [");
  }
}

// 3.3 and kestrun.md §6: AllowAny accepts any presented certificate; the two development callbacks
// accept errors that are exactly None or exactly RemoteCertificateChainErrors, which is all a server
// ever sets. "With a callback, the callback alone decides", so revocation (with checking on) is one
// more chain error to them.
TEST_CASE(
    "the three built-in callbacks accept every certificate presented, the chain's errors in the verdict",
    "[tls][handshake]") {
  const std::string policy =
      GENERATE("AllowAny", "AllowSelfSignedForDevelopment", "AllowMissingOrSelfSignedForDevelopment");
  const std::string mode = GENERATE("allow", "require");
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const Presented presented = GENERATE(from_range(std::begin(kPresented), std::end(kPresented)));
  const ClientKind client = presented.client;
  CAPTURE(policy, mode, protocol_name(version), to_string(client));

  const HandshakeOutcome outcome = server_for(mode, policy, client).connect(client, version);
  CHECK(outcome.completed);
  CHECK(outcome.alert_name() == "none");
  CHECK(outcome.access_log_tls == "accepted by " + policy + " (" + errors_of(client) + ")");
  check_chain(outcome, client);
}

// 3.5: validation code's "answer alone decides (no strict fallback). A refusal of a chain without errors
// is sent to the client as alert 42 (bad certificate); with chain errors the chain's own alert is sent.
// The log says `tls: rejected client certificate 'SUBJECT' from ADDRESS: ERRORS by validation code`".
// The deny-list refuses alice (a sound chain) and eve (another CA's); the snippet accepts the rest.
TEST_CASE("compiled validation code alone decides, and its refusal of a sound chain is bad_certificate",
          "[tls][handshake][validation]") {
  const std::string mode = GENERATE("allow", "require");
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  struct CodeRow {
    ClientKind client;
    std::string alert;  // "none": accepted
  };
  const CodeRow row = GENERATE(values<CodeRow>({
      {ClientKind::Valid, "bad certificate"},
      {ClientKind::SelfSigned, "none"},
      {ClientKind::OtherCa, "unknown CA"},
      {ClientKind::Expired, "none"},
      {ClientKind::ServerAuthOnly, "none"},
      {ClientKind::Revoked, "none"},
  }));
  CAPTURE(mode, protocol_name(version), to_string(row.client));

  LogLines log;
  const HandshakeOutcome outcome = server_for(mode, "code", row.client, &log).connect(row.client, version);
  const std::string name = decided_by("code");
  CHECK_THAT(name, Catch::StartsWith("validation code"));
  CHECK(outcome.alert_name() == row.alert);
  CHECK(outcome.completed == (row.alert == "none"));
  CHECK(outcome.access_log_tls ==
        (row.alert == "none" ? "accepted by " : "rejected by ") + name + " (" + errors_of(row.client) + ")");
  check_chain(outcome, row.client);
  if (row.alert == "none") {
    CHECK(log.lines->empty());
  } else {
    check_refusal_logged(log, outcome, name);
  }
}

// 3.1: allow requests a certificate "and accept[s] connections without one"; require "fail[s] the
// handshake when the client sends none". 3.5: the callback is not called "when no certificate was sent
// (allow mode lets such connections through; require mode fails them)", so no policy changes this.
// The log names the mode's setting as the user wrote it.
TEST_CASE("a client without a certificate passes allow and fails require, whatever the policy",
          "[tls][handshake]") {
  const std::string policy = GENERATE(from_range(std::begin(kPolicies), std::end(kPolicies)));
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const std::string setting =
      GENERATE("--client-cert-mode", "config 'serve.json' https.clientCertificateMode");
  CAPTURE(policy, protocol_name(version), setting);

  const HandshakeOutcome allowed =
      server_for("allow", policy, ClientKind::None).connect(ClientKind::None, version);
  CHECK(allowed.completed);
  CHECK_FALSE(allowed.verdict.has_value());
  CHECK(allowed.access_log_tls == "no certificate");

  // TLS 1.3 has an alert for this; TLS 1.2 ends with handshake_failure. Either way the log says why.
  LogLines log;
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = policy_named(policy);
  options.log = log.sink();
  options.names.mode = setting;
  const HandshakeOutcome required = TestServer(std::move(options)).connect(ClientKind::None, version);
  CHECK_FALSE(required.completed);
  CHECK(required.alert_name() == (version == TLS1_3_VERSION ? "certificate required" : "handshake failure"));
  CHECK(required.access_log_tls == "no certificate");
  CHECK_THAT(log.all(), Catch::Contains("no client certificate was sent and " + setting + " is require"));
}

TEST_CASE("with revocation checking and the CA's CRL, a certificate the CRL does not list is accepted",
          "[tls][handshake][revocation]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const std::string mode = GENERATE("allow", "require");
  CAPTURE(protocol_name(version), mode);
  tls::ServerTlsOptions options = server_options(tls::parse_client_cert_mode(mode));
  options.check_certificate_revocation = true;
  options.crls.push_back(make_crl(pki().client_ca, {pki().revoked.certificate.get()}));
  const HandshakeOutcome valid = TestServer(std::move(options)).connect(ClientKind::Valid, version);
  CHECK(valid.completed);
  CHECK(valid.access_log_tls == "accepted (None)");
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
