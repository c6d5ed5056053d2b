// A TLS layer reloaded in place (serve's SIGHUP): new connections get the new configuration, a failed
// reload keeps the old one, and a connection made before a reload lives on with the old context.
#include "krtool/tls/reloadable_context.hpp"

#include <catch2/catch.hpp>

#include "krtool/error.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {
namespace {

std::shared_ptr<const tls::TlsServerConfig> config_presenting(const cert::CertBundle& server) {
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.identity.certificate = ossl::up_ref(server.certificate.get());
  options.identity.key = ossl::up_ref(server.key.get());
  return std::make_shared<const tls::TlsServerConfig>(std::move(options));
}

HandshakeOutcome connect(const tls::ReloadableContext& context) {
  return run_handshake(context.current()->ctx.get(), ClientHello{pki().client(ClientKind::Valid)});
}

}  // namespace

TEST_CASE("after replace, a new handshake sees the new server certificate", "[tls][reload]") {
  const cert::CertBundle renewed =
      cert::create_certificate(ecdsa_spec("CN=renewed, O=krtool tests", cert::Purpose::Server));
  tls::ReloadableContext context(config_presenting(pki().server));
  const HandshakeOutcome before = connect(context);
  REQUIRE(before.completed);
  CHECK(before.server_subject == "CN=localhost");

  context.replace(config_presenting(renewed));
  const HandshakeOutcome after = connect(context);
  REQUIRE(after.completed);
  CHECK(after.server_subject == "CN=renewed, O=krtool tests");
  CHECK(after.verdict->accepted);  // the new configuration's TLS layer decided, with its trust list
}

TEST_CASE("a replace that cannot build its context throws and keeps the previous one", "[tls][reload]") {
  tls::ReloadableContext context(config_presenting(pki().server));
  const auto previous = context.current();
  // A certificate with another certificate's key: the configuration is made, its context is not.
  tls::ServerTlsOptions mismatched = server_options(tls::ClientCertMode::Require);
  mismatched.identity.key = ossl::up_ref(pki().valid.key.get());
  auto broken = std::make_shared<const tls::TlsServerConfig>(std::move(mismatched));

  CHECK_THROWS_AS(context.replace(broken), Error);
  CHECK(context.current() == previous);
  const HandshakeOutcome outcome = connect(context);
  CHECK(outcome.completed);
  CHECK(outcome.server_subject == "CN=localhost");
}

TEST_CASE("a connection made before a replace finishes on the old context and configuration",
          "[tls][reload]") {
  const cert::CertBundle renewed =
      cert::create_certificate(ecdsa_spec("CN=renewed, O=krtool tests", cert::Purpose::Server));
  tls::ReloadableContext context(config_presenting(pki().server));
  // What a connection layer holds for an accepted connection: an SSL of the context current then.
  ossl::UniquePtr<SSL> accepted(SSL_new(context.current()->ctx.get()));
  REQUIRE(accepted != nullptr);
  context.replace(config_presenting(renewed));
  context.replace(config_presenting(renewed));  // the first Live has no holder but the SSL now
  // The old context's configuration is still there for the SSL's callbacks.
  SSL_CTX* old_context = SSL_get_SSL_CTX(accepted.get());
  CHECK(old_context != context.current()->ctx.get());
  const HandshakeOutcome outcome = run_handshake(old_context, ClientHello{pki().client(ClientKind::Valid)});
  CHECK(outcome.completed);
  CHECK(outcome.server_subject == "CN=localhost");
  CHECK(outcome.verdict->accepted);
}

}  // namespace krtool::test
