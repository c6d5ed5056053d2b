// How many TLS 1.3 session tickets a full handshake costs the server: ServerTlsOptions::tls13_tickets,
// counted as a real client receives them.
#include <catch2/catch.hpp>

#include "krtool/error.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {

TEST_CASE("a TLS 1.3 full handshake sends as many session tickets as configured, one by default",
          "[tls][tickets]") {
  CHECK(tls::ServerTlsOptions{}.tls13_tickets == 1);
  const int tickets = GENERATE(0, 1, 2);
  CAPTURE(tickets);
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.tls13_tickets = tickets;
  const HandshakeOutcome outcome = TestServer(std::move(options)).connect(ClientKind::Valid);
  REQUIRE(outcome.completed);
  CHECK(outcome.tickets == tickets);
}

TEST_CASE("a negative ticket count is refused when the context is made", "[tls][tickets]") {
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::None);
  options.tls13_tickets = -1;
  const tls::TlsServerConfig config(std::move(options));
  CHECK_THROWS_AS(config.make_context(), Error);
}

}  // namespace krtool::test
