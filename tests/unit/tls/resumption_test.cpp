// A resumed session runs no verification: what the TLS layer says about its client certificate comes
// from the first handshake, which the session (and its ticket) carries. The access log says "resumed";
// the chain's first problem, which a proxy route forwards as X-SSL-Client-Verify: FAILED:<reason>, is
// the chain engine's wording, as in the full handshake.
#include <catch2/catch.hpp>

#include "krtool/tls/policy.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {
namespace {

std::string protocol_name(int version) { return version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"; }

}  // namespace

TEST_CASE("a resumed session reports the first handshake's chain problem in the chain engine's words",
          "[tls][resumption]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(protocol_name(version));
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = tls::builtin_policy("AllowAny");
  const TestServer server(std::move(options));

  const HandshakeOutcome first = server.connect(ClientKind::SelfSigned, version);
  REQUIRE(first.completed);
  REQUIRE(first.session != nullptr);
  CHECK_FALSE(first.resumed);
  CHECK(first.access_log_tls == "accepted by AllowAny (RemoteCertificateChainErrors)");
  CHECK(first.chain_error == "UntrustedRoot: self-signed certificate (depth 0, 'CN=mallory, O=self')");

  const HandshakeOutcome again = server.connect(ClientKind::SelfSigned, version, first.session.get());
  REQUIRE(again.completed);
  CHECK(again.resumed);
  CHECK_FALSE(again.verdict.has_value());
  CHECK(again.access_log_tls == "resumed");
  CHECK(again.chain_error == first.chain_error);
}

TEST_CASE("a resumed session of a sound chain reports no chain problem", "[tls][resumption]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(protocol_name(version));
  const TestServer server(server_options(tls::ClientCertMode::Require));

  const HandshakeOutcome first = server.connect(ClientKind::Valid, version);
  REQUIRE(first.completed);
  REQUIRE(first.session != nullptr);
  CHECK(first.chain_error.empty());

  const HandshakeOutcome again = server.connect(ClientKind::Valid, version, first.session.get());
  REQUIRE(again.completed);
  CHECK(again.resumed);
  CHECK(again.access_log_tls == "resumed");
  CHECK(again.chain_error.empty());
}

}  // namespace krtool::test
