// TlsServerConfig::decide, the TLS layer's verdict without a connection (krtool policy test), is the
// verdict a real handshake records, for each kind of client certificate and with a policy or without.
#include <catch2/catch.hpp>

#include "krtool/tls/policy.hpp"
#include "krtool/tls/server_context.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {

TEST_CASE("the dry-run verdict is the handshake's verdict", "[tls][dry-run]") {
  const ClientKind kind = GENERATE(ClientKind::Valid, ClientKind::SelfSigned, ClientKind::OtherCa,
                                   ClientKind::Expired, ClientKind::ServerAuthOnly);
  const bool with_policy = GENERATE(false, true);
  CAPTURE(to_string(kind), with_policy);
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  if (with_policy) options.policy = tls::builtin_policy("AllowSelfSignedForDevelopment");
  const TestServer server(std::move(options));

  const HandshakeOutcome handshake = server.connect(kind);
  REQUIRE(handshake.verdict.has_value());
  // What the client sends with its certificate: the bundle's chain, as intermediates.
  const cert::CertBundle& client = *pki().client(kind);
  ossl::UniquePtr<STACK_OF(X509)> chain(sk_X509_new_null());
  for (const auto& member : client.chain) {
    ossl::UniquePtr<X509> reference = ossl::up_ref(member.get());
    REQUIRE(sk_X509_push(chain.get(), reference.get()) > 0);
    reference.release();
  }
  const tls::HandshakeVerdict dry = server.config->decide(client.certificate.get(), chain.get());
  CHECK(dry.accepted == handshake.verdict->accepted);
  CHECK(dry.summary() == handshake.verdict->summary());
  CHECK(dry.reasons == handshake.verdict->reasons);
  CHECK(dry.subject == handshake.verdict->subject);
}

}  // namespace krtool::test
