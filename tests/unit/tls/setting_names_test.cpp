// The TLS layer's own checks name its settings by the names ServerTlsOptions::names gives (serve passes
// the flag or the --config key it was set by), and by the options' member names when no one gave others.
#include <catch2/catch.hpp>

#include "krtool/cert/builder.hpp"
#include "krtool/tls/server_context.hpp"
#include "support/error_from.hpp"
#include "unit/auth/auth_fixtures.hpp"

using Catch::Matchers::Contains;

namespace krtool::test {

TEST_CASE("the TLS layer's own checks name its settings, by their option names when no one gave others",
          "[tls][names]") {
  const cert::CertBundle ca = cert::create_certificate(ca_spec("CN=Names CA"));
  SECTION("a server without its certificate") {
    tls::ServerTlsOptions options;
    CHECK_THAT(error_from([&] { tls::TlsServerConfig{std::move(options)}; }).hint(),
               Contains("set identity.certificate (and identity.key"));
    tls::ServerTlsOptions named;
    named.names.certificate = "--cert";
    named.names.key = "--key";
    const Error e = error_from([&] { tls::TlsServerConfig{std::move(named)}; });
    CHECK(e.code() == Errc::Usage);
    CHECK_THAT(e.hint(), Contains("set --cert (and --key"));
  }
  // A server with an identity that checks revocation in `mode` without any CRL.
  const auto checking = [&ca](auth::RevocationMode mode) {
    tls::ServerTlsOptions options;
    options.identity.certificate = ossl::up_ref(ca.certificate.get());
    options.identity.key = ossl::up_ref(ca.key.get());
    options.check_certificate_revocation = true;
    options.revocation_mode = mode;
    return options;
  };
  SECTION("offline revocation checking without CRLs") {
    tls::ServerTlsOptions options = checking(auth::RevocationMode::Offline);
    options.names.check_certificate_revocation = "config 'serve.json' https.checkCertificateRevocation";
    options.names.crls = "config 'serve.json' https.crl";
    options.names.revocation_mode = "config 'serve.json' https.revocationMode";
    const Error e = error_from([&] { tls::TlsServerConfig{std::move(options)}; });
    CHECK(e.code() == Errc::Usage);
    CHECK_THAT(
        e.what(),
        Contains("config 'serve.json' https.checkCertificateRevocation in offline mode needs the CRLs"));
    CHECK_THAT(e.hint(), Contains("give config 'serve.json' https.crl for each issuing CA, or set config "
                                  "'serve.json' https.revocationMode to online"));
  }
  SECTION("revocation checking in mode nocheck") {
    tls::ServerTlsOptions options = checking(auth::RevocationMode::NoCheck);
    const Error e = error_from([&] { tls::TlsServerConfig{std::move(options)}; });
    CHECK_THAT(e.what(),
               Contains("check_certificate_revocation with revocation_mode nocheck checks nothing"));
  }
}

}  // namespace krtool::test
