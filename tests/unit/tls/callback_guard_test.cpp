// Every callback OpenSSL makes into the TLS layer fails closed: an exception in a policy, in the log
// sink or in the layer itself refuses that handshake with its reason logged, and the next handshake on
// the same context is served as usual.
#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "krtool/tls/policy.hpp"
#include "support/stderr_capture.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {
namespace {

// FaultyPolicy throws from name() (which the layer calls outside the policy's own try) on its first
// `failures` calls, and accepts any certificate afterwards.
class FaultyPolicy final : public tls::ClientCertPolicy {
 public:
  explicit FaultyPolicy(int failures) : failures_(failures) {}
  std::string name() const override {
    if (failures_.fetch_sub(1) > 0) throw std::runtime_error("the policy's name is not ready");
    return "Faulty";
  }
  bool is_relaxed() const override { return true; }
  bool accepts(X509* certificate, const tls::ChainVerdict&) const override { return certificate != nullptr; }

 private:
  mutable std::atomic<int> failures_;
};

class ThrowingPolicy final : public tls::ClientCertPolicy {
 public:
  std::string name() const override { return "Throwing"; }
  bool is_relaxed() const override { return false; }
  bool accepts(X509*, const tls::ChainVerdict&) const override { throw 42; }
};

}  // namespace

TEST_CASE("a policy that throws refuses that handshake with the reason logged, and the server goes on",
          "[tls][callbacks]") {
  LogLines log;
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = std::make_shared<ThrowingPolicy>();
  options.log = log.sink();
  const TestServer server(std::move(options));

  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const HandshakeOutcome outcome = server.connect(ClientKind::Valid, version);
  CHECK_FALSE(outcome.completed);
  CHECK(outcome.alert_name() == "bad certificate");
  CHECK(outcome.access_log_tls == "rejected by Throwing (None)");
  CHECK_THAT(log.all(), Catch::Contains("by Throwing") && Catch::Contains("(the policy threw an exception)"));
}

TEST_CASE(
    "an exception escaping the verify callback fails the handshake closed, logged, and the next one is "
    "served",
    "[tls][callbacks]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  LogLines log;
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = std::make_shared<FaultyPolicy>(1);
  options.log = log.sink();
  const TestServer server(std::move(options));

  const HandshakeOutcome failed = server.connect(ClientKind::Valid, version);
  CHECK_FALSE(failed.completed);
  CHECK(failed.alert_name() == "handshake failure");
  CHECK_THAT(log.all(), Catch::Contains("tls: verifying the client certificate failed for ?: the policy's "
                                        "name is not ready; the handshake is refused"));

  const HandshakeOutcome next = server.connect(ClientKind::Valid, version);
  CHECK(next.completed);
  CHECK(next.access_log_tls == "accepted by Faulty (None)");
}

TEST_CASE("a log sink that throws cannot turn a refusal into an acceptance or stop the server",
          "[tls][callbacks]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  // The sink refuses the rejection line (as a full disk would) and keeps the rest.
  LogLines kept;
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.log = [kept](const std::string& line) {
    if (line.rfind("tls: rejected client certificate", 0) == 0) throw std::runtime_error("disk full");
    kept.sink()(line);
  };
  const TestServer server(std::move(options));

  const HandshakeOutcome refused = server.connect(ClientKind::OtherCa, version);
  CHECK_FALSE(refused.completed);
  CHECK(refused.alert_name() == "handshake failure");
  CHECK(refused.access_log_tls == "rejected (RemoteCertificateChainErrors)");  // the verdict was kept
  CHECK_THAT(kept.all(), Catch::Contains("tls: verifying the client certificate failed for ?: disk full"));

  const HandshakeOutcome served = server.connect(ClientKind::Valid, version);
  CHECK(served.completed);
  CHECK(served.access_log_tls == "accepted (None)");
}

TEST_CASE("a log sink that always throws leaves the alert as it was and the server serving",
          "[tls][callbacks]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  int calls = 0;
  options.log = [&calls](const std::string&) {
    ++calls;
    throw std::runtime_error("the log is gone");
  };
  const TestServer server(std::move(options));

  // The alert logger throws while the server sends certificate_required; that handshake ends as it
  // would have, and the failure goes to standard error instead.
  StderrCapture stderr_text;
  const HandshakeOutcome missing = server.connect(ClientKind::None, version);
  CHECK_FALSE(missing.completed);
  CHECK(missing.alert_name() == (version == TLS1_3_VERSION ? "certificate required" : "handshake failure"));
  CHECK(calls >= 1);
  CHECK_THAT(stderr_text.text(),
             Catch::Contains("krtool: tls: logging a TLS alert failed for ?: the log is gone;") &&
                 Catch::Contains("(and the log sink threw)"));

  const HandshakeOutcome served = server.connect(ClientKind::Valid, version);
  CHECK(served.completed);
}

}  // namespace krtool::test
