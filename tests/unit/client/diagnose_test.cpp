// diagnose() as a function of the facts test-client gathered: what it says when a server's alert names
// no reason (Go and Caddy's 42, Java's 46, Node's silence), and when a port never answered the
// ClientHello but answered a plain HTTP probe. The servers themselves are in
// tests/e2e/test_client_peers_test.py.
#include "client/diagnose.hpp"

#include <catch2/catch.hpp>

namespace {

using krtool::client::Alert;
using krtool::client::diagnose;
using krtool::client::Facts;
using krtool::client::LocalCertificate;
using krtool::client::Outcome;
using krtool::client::TestClientReport;

bool has(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

// A certificate 'CN=eve' issued by 'CN=Other CA', sent to a server that named 'CN=Dev CA' and answered
// with `alert` (none when code is 0).
struct Rejection {
  Facts facts;
  TestClientReport report;

  explicit Rejection(int code, const std::string& name) {
    facts.url.host = "127.0.0.1";
    facts.url.port = 8443;
    facts.url.tls = true;
    LocalCertificate local;
    local.summary.subject = "CN=eve";
    local.summary.issuer = "CN=Other CA";
    local.summary.not_after = "2026-01-01T00:00:00Z";
    local.purposes = {"Client Authentication"};
    facts.local = local;
    facts.handshake_failed = true;
    report.tls.attempted = true;
    report.tls.client_certificate_requested = true;
    report.tls.client_certificate_sent = true;
    report.tls.acceptable_cas = {"CN=Dev CA"};
    report.tls.issuer_acceptable = false;
    if (code != 0) report.tls.alert = Alert{code, name, true, false};
  }

  void run() { diagnose(facts, report); }
};

}  // namespace

TEST_CASE(
    "alert 42 from a server like Go names the issuer the server did not name, not krtool serve's policy",
    "[client][diagnose]") {
  Rejection rejection(42, "bad_certificate");
  rejection.run();
  const auto& diagnosis = rejection.report.diagnosis;
  CHECK(rejection.report.outcome == Outcome::ClientCertRejected);
  CHECK(has(diagnosis.cause, "its issuer 'CN=Other CA' is not among the CAs the server named as acceptable"));
  CHECK_FALSE(has(diagnosis.cause, "its validation callback refused the certificate"));
  CHECK(has(diagnosis.fix, "present a certificate issued by 'CN=Dev CA'"));
  CHECK(has(diagnosis.fix, "Go tls.Config.ClientCAs"));
}

TEST_CASE("an expired certificate refused without an alert (Node) is named expired, once",
          "[client][diagnose]") {
  Rejection rejection(0, "");
  rejection.facts.handshake_failed = false;  // TLS 1.3: the handshake was over, the first read found the end
  rejection.facts.verdict_failed = true;
  rejection.report.tls.handshake_completed = true;
  rejection.report.tls.issuer_acceptable = true;
  rejection.facts.local->expired = true;
  rejection.run();
  CHECK(rejection.report.outcome == Outcome::ClientCertRejected);
  CHECK(has(rejection.report.diagnosis.cause, "it expired on 2026-01-01T00:00:00Z"));
  CHECK(has(rejection.report.diagnosis.cause, "without an alert"));
  CHECK(has(rejection.report.diagnosis.fix, "make a new certificate"));
  for (const std::string& note : rejection.report.notes) CHECK_FALSE(has(note, "expired"));
}

TEST_CASE("alert 42 for a certificate with nothing visibly wrong points at the server's own check and log",
          "[client][diagnose]") {
  Rejection rejection(42, "bad_certificate");
  rejection.report.tls.issuer_acceptable = true;
  rejection.run();
  CHECK(has(rejection.report.diagnosis.cause, "nothing test-client can see is wrong with it"));
  CHECK(has(rejection.report.diagnosis.cause, "its validation callback refused the certificate"));
  CHECK(has(rejection.report.diagnosis.fix, "server's log"));
}

TEST_CASE("alert 48 from an OpenSSL server is taken at its word", "[client][diagnose]") {
  Rejection rejection(48, "unknown_ca");
  rejection.run();
  CHECK(has(rejection.report.diagnosis.cause, "it does not trust the issuer 'CN=Other CA'"));
}

TEST_CASE("a port that never answered the ClientHello but answers plain HTTP is not-tls",
          "[client][diagnose]") {
  Facts facts;
  facts.url.host = "127.0.0.1";
  facts.url.port = 8080;
  facts.url.tls = true;
  facts.url.authority = "127.0.0.1:8080";
  facts.url.target = "/";
  facts.handshake_failed = true;
  facts.handshake_timed_out = true;
  facts.plain_http_answer = "HTTP/1.1 200 OK";
  TestClientReport report;
  report.tls.attempted = true;
  diagnose(facts, report);
  CHECK(report.outcome == Outcome::NotTls);
  CHECK(has(report.diagnosis.cause, "never answered the TLS ClientHello"));
  CHECK(has(report.diagnosis.cause, "a plain HTTP request gets 'HTTP/1.1 200 OK'"));
  CHECK(has(report.diagnosis.fix, "http://127.0.0.1:8080/"));

  facts.plain_http_answer.clear();  // no answer to the probe either: a silent port, as before
  TestClientReport silent;
  silent.tls.attempted = true;
  diagnose(facts, silent);
  CHECK(silent.outcome == Outcome::ConnectFailed);
}

TEST_CASE("looks_like_tls_record tells a TLS record from HTTP and HTML", "[client][diagnose]") {
  CHECK(krtool::client::looks_like_tls_record(std::string("\x16\x03\x03", 3)));
  CHECK(krtool::client::looks_like_tls_record(std::string("\x15\x03\x01", 3)));
  CHECK_FALSE(krtool::client::looks_like_tls_record("HTTP/1.1 400"));
  CHECK_FALSE(krtool::client::looks_like_tls_record("<!DOCTYPE"));
  CHECK(krtool::client::looks_like_tls_record(""));  // too little to tell
}
