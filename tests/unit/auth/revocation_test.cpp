// Revocation in the certificate scheme's chain check: Offline mode reads the CRLs it was given, Online
// mode fetches them from the leaf's http:// distribution points (answered here by an in-memory
// publisher, and by closed and silent sockets on 127.0.0.1 for the failures of a real HTTP GET),
// caches them until nextUpdate (by a clock the test moves on), and fails closed when it cannot get one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "auth_fixtures.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/builder.hpp"

using namespace krtool;
using namespace krtool::auth;
using namespace krtool::test;
using cert::CertBundle;
using cert::create_certificate;
using Outcome = AuthResult::Outcome;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Pki is a root CA the scheme trusts and client leaves it issues, each naming `crl_urls`.
struct Pki {
  CertBundle root = create_certificate(ca_spec("CN=Revocation Test CA"));

  CertBundle leaf(const std::string& name, const std::vector<std::string>& crl_urls = {}) const {
    cert::CertificateSpec spec = client_spec(name);
    spec.crl_urls = crl_urls;
    return create_certificate(spec, &root);
  }

  CertificateSchemeOptions options(RevocationMode mode) const {
    CertificateSchemeOptions options;
    options.custom_trust_store = trust_only(root.certificate.get());
    options.revocation_mode = mode;
    return options;
  }

  // options fetching CRLs from `crls`, with the cache's clock `clock` when given.
  CertificateSchemeOptions options(RevocationMode mode, CrlPublisher& crls,
                                   const TestClock* clock = nullptr) const {
    CertificateSchemeOptions options = this->options(mode);
    options.revocation_fetcher = crls.fetcher();
    if (clock != nullptr) options.revocation_clock = clock->clock();
    return options;
  }
};

AuthResult authenticate(const CertificateScheme& scheme, const CertBundle& client) {
  const auto chain = presented_chain(client);
  return scheme.authenticate(client.certificate.get(), chain.get());
}

// Socket is a TCP socket on 127.0.0.1 with a port the kernel picked.
class Socket {
 public:
  Socket() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // listen without ever accepting: connections complete in the kernel's backlog, and no answer comes.
  void listen_silently() { REQUIRE(listen(fd_, 16) == 0); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

}  // namespace

TEST_CASE("offline mode accepts a certificate that its issuer's CRL does not list", "[auth][revocation]") {
  const Pki pki;
  const CertBundle alice = pki.leaf("alice");
  CertificateSchemeOptions options = pki.options(RevocationMode::Offline);
  options.crls = crl_list(make_crl(pki.root));
  const CertificateScheme scheme(std::move(options));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
}

TEST_CASE("offline mode rejects a revoked certificate", "[auth][revocation]") {
  const Pki pki;
  const CertBundle alice = pki.leaf("alice");
  CertificateSchemeOptions options = pki.options(RevocationMode::Offline);
  options.crls = crl_list(make_crl(pki.root, {alice.certificate.get()}));
  const CertificateScheme scheme(std::move(options));
  const AuthResult result = authenticate(scheme, alice);
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure ==
        "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=alice')");
}

TEST_CASE("offline mode without a CRL from the certificate's issuer fails closed", "[auth][revocation]") {
  const Pki pki;
  const CertBundle alice = pki.leaf("alice");
  const CertBundle other_ca = create_certificate(ca_spec("CN=Some Other CA"));
  for (const bool give_other_crl : {false, true}) {
    INFO("a CRL of another CA given: " << give_other_crl);
    CertificateSchemeOptions options = pki.options(RevocationMode::Offline);
    if (give_other_crl) options.crls = crl_list(make_crl(other_ca));
    const CertificateScheme scheme(std::move(options));
    CHECK(authenticate(scheme, alice).failure ==
          "Certificate chain validation failed: RevocationStatusUnknown: unable to get certificate CRL "
          "(depth 0, 'CN=alice')");
  }
}

TEST_CASE("offline mode treats an expired CRL as no answer", "[auth][revocation]") {
  const Pki pki;
  const CertBundle alice = pki.leaf("alice");
  CertificateSchemeOptions options = pki.options(RevocationMode::Offline);
  options.crls = crl_list(make_crl(pki.root, {}, now_seconds() - std::chrono::seconds(10)));
  const CertificateScheme scheme(std::move(options));
  CHECK(
      authenticate(scheme, alice).failure ==
      "Certificate chain validation failed: RevocationStatusUnknown: CRL has expired (depth 0, 'CN=alice')");
}

TEST_CASE("no revocation check happens in NoCheck mode", "[auth][revocation]") {
  const Pki pki;
  const CertBundle alice = pki.leaf("alice", {"http://127.0.0.1:1/never-fetched.crl"});
  const CertificateScheme scheme(pki.options(RevocationMode::NoCheck));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
}

TEST_CASE(
    "online mode fetches the CRL from the distribution point and accepts a certificate it does not list",
    "[auth][revocation][online]") {
  CrlPublisher server;
  const Pki pki;
  server.publish("root.crl", make_crl(pki.root).get());
  const CertBundle alice = pki.leaf("alice", {server.url("root.crl")});
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server));
  const AuthResult result = authenticate(scheme, alice);
  CHECK(result.failure.empty());
  CHECK(result.outcome == Outcome::Success);
  CHECK(server.requests() == std::vector<std::string>{"/root.crl"});
}

TEST_CASE("online mode rejects a certificate that the published CRL revokes", "[auth][revocation][online]") {
  CrlPublisher server;
  const Pki pki;
  const CertBundle alice = pki.leaf("alice", {server.url("root.crl")});
  server.publish("root.crl", make_crl(pki.root, {alice.certificate.get()}).get());
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server));
  CHECK(authenticate(scheme, alice).failure ==
        "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=alice')");
}

TEST_CASE("online mode keeps a fetched CRL until its nextUpdate", "[auth][revocation][online]") {
  CrlPublisher server;
  const Pki pki;
  const CertBundle alice = pki.leaf("alice", {server.url("root.crl")});
  const CertBundle bob = pki.leaf("bob", {server.url("root.crl")});
  server.publish("root.crl", make_crl(pki.root).get());
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server));
  REQUIRE(authenticate(scheme, alice).outcome == Outcome::Success);

  // The CA revokes alice, but the cached CRL is good for a day yet.
  server.publish("root.crl", make_crl(pki.root, {alice.certificate.get()}).get());
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
  CHECK(authenticate(scheme, bob).outcome == Outcome::Success);
  CHECK(server.requests().size() == 1);

  // Another scheme has its own cache, so it sees the new CRL.
  const CertificateScheme fresh_scheme(pki.options(RevocationMode::Online, server));
  CHECK(authenticate(fresh_scheme, alice).failure ==
        "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=alice')");
  CHECK(server.requests().size() == 2);
}

TEST_CASE("online mode fetches the CRL again once its nextUpdate has passed", "[auth][revocation][online]") {
  CrlPublisher server;
  TestClock clock;
  const Pki pki;
  const CertBundle alice = pki.leaf("alice", {server.url("root.crl")});
  server.publish("root.crl", make_crl(pki.root, {}, now_seconds() + std::chrono::hours(1)).get());
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server, &clock));
  REQUIRE(authenticate(scheme, alice).outcome == Outcome::Success);

  // The CA revokes alice and publishes a CRL that is valid now; the cache's copy is good for an hour.
  server.publish("root.crl", make_crl(pki.root, {alice.certificate.get()}).get());
  clock.advance(std::chrono::minutes(59));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
  CHECK(server.requests().size() == 1);

  clock.advance(std::chrono::minutes(2));  // past the cached CRL's nextUpdate
  CHECK(authenticate(scheme, alice).failure ==
        "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=alice')");
  CHECK(server.requests().size() == 2);
}

TEST_CASE("online mode keeps a CRL without nextUpdate for five minutes", "[auth][revocation][online]") {
  CrlPublisher server;
  TestClock clock;
  const Pki pki;
  const CertBundle alice = pki.leaf("alice", {server.url("root.crl")});
  server.publish("root.crl", make_crl(pki.root, {}, std::nullopt).get());
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server, &clock));
  REQUIRE(authenticate(scheme, alice).outcome == Outcome::Success);

  server.publish("root.crl", make_crl(pki.root, {alice.certificate.get()}).get());
  clock.advance(std::chrono::minutes(4));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
  clock.advance(std::chrono::minutes(2));
  CHECK(authenticate(scheme, alice).failure ==
        "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=alice')");
  CHECK(server.requests().size() == 2);
}

TEST_CASE("online mode cannot check a certificate without a distribution point",
          "[auth][revocation][online]") {
  const Pki pki;
  const CertificateScheme scheme(pki.options(RevocationMode::Online));
  CHECK(authenticate(scheme, pki.leaf("alice")).failure ==
        "Certificate chain validation failed: RevocationStatusUnknown: the certificate names no CRL "
        "distribution point, so revocation mode Online cannot check it");
  CHECK(authenticate(scheme, pki.leaf("bob", {"ldap://127.0.0.1/cn=CA?certificateRevocationList"})).failure ==
        "Certificate chain validation failed: RevocationStatusUnknown: the certificate names no http:// CRL "
        "distribution point, only 'ldap://127.0.0.1/cn=CA?certificateRevocationList', so revocation mode "
        "Online cannot check it");
}

TEST_CASE("online mode fails closed when the distribution point refuses connections",
          "[auth][revocation][online]") {
  int closed_port = 0;
  {
    const Socket bound_then_closed;
    closed_port = bound_then_closed.port();
  }
  const Pki pki;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port) + "/root.crl";
  CertificateSchemeOptions options = pki.options(RevocationMode::Online);
  options.revocation_fetch_timeout = std::chrono::milliseconds(500);
  const CertificateScheme scheme(std::move(options));
  const auto started = SteadyClock::now();
  const AuthResult result = authenticate(scheme, pki.leaf("alice", {url}));
  CHECK(SteadyClock::now() - started < std::chrono::seconds(3));
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure ==
        "Certificate chain validation failed: RevocationStatusUnknown, OfflineRevocation: fetching '" + url +
            "' failed: could not connect");
}

TEST_CASE("online mode fails closed within the timeout when the distribution point never answers",
          "[auth][revocation][online]") {
  Socket silent;
  silent.listen_silently();
  const Pki pki;
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/root.crl";
  CertificateSchemeOptions options = pki.options(RevocationMode::Online);
  // Long enough to connect to the silent socket (the kernel accepts into its backlog), so that what runs
  // out is the wait for an answer that never comes; short, so that the test does not wait for nothing.
  options.revocation_fetch_timeout = std::chrono::milliseconds(100);
  const CertificateScheme scheme(std::move(options));
  const auto started = SteadyClock::now();
  const AuthResult result = authenticate(scheme, pki.leaf("alice", {url}));
  const auto elapsed = SteadyClock::now() - started;
  CHECK(elapsed >= std::chrono::milliseconds(100));
  CHECK(elapsed < std::chrono::seconds(3));
  CHECK_THAT(
      result.failure,
      Catch::StartsWith("Certificate chain validation failed: RevocationStatusUnknown, OfflineRevocation: "
                        "fetching '" +
                        url + "' failed: ") &&
          Catch::Contains("timed out"));
}

TEST_CASE("online mode tries the next distribution point when one fails", "[auth][revocation][online]") {
  CrlPublisher server;
  const Pki pki;
  server.publish("root.crl", make_crl(pki.root).get());
  const CertBundle alice =
      leaf_with_distribution_points("alice", pki.root, {server.url("missing.crl"), server.url("root.crl")});
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
  CHECK(server.requests() == std::vector<std::string>{"/missing.crl", "/root.crl"});
}

TEST_CASE("online mode reports what each distribution point answered instead of a CRL",
          "[auth][revocation][online]") {
  CrlPublisher server;
  const Pki pki;
  server.publish_text("garbage.crl", "this is not a CRL");
  const CertBundle alice = leaf_with_distribution_points(
      "alice", pki.root, {server.url("missing.crl"), server.url("garbage.crl")});
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server));
  const std::string failure = authenticate(scheme, alice).failure;
  CHECK_THAT(failure,
             Catch::StartsWith("Certificate chain validation failed: RevocationStatusUnknown, "
                               "OfflineRevocation: '" +
                               server.url("missing.crl") + "' answered HTTP 404 instead of a CRL; '" +
                               server.url("garbage.crl") + "' is not a CRL (neither PEM nor DER)"));
}

TEST_CASE("online mode fetches nothing for a certificate that the trust store does not trust",
          "[auth][revocation][online]") {
  CrlPublisher server;
  const Pki pki;
  const CertBundle stranger_ca = create_certificate(ca_spec("CN=Stranger CA"));
  cert::CertificateSpec spec = client_spec("mallory");
  spec.crl_urls = {server.url("root.crl")};
  const CertBundle mallory = create_certificate(spec, &stranger_ca);
  const CertificateScheme scheme(pki.options(RevocationMode::Online, server));
  const AuthResult result = authenticate(scheme, mallory);
  CHECK_THAT(result.failure, Catch::StartsWith("Certificate chain validation failed: UntrustedRoot"));
  CHECK(server.requests().empty());
}

TEST_CASE("authenticate is safe to call from many threads at once", "[auth][threads]") {
  CrlPublisher server;
  const Pki pki;
  const CertBundle alice = pki.leaf("alice", {server.url("root.crl")});
  const CertBundle revoked_bob = pki.leaf("bob", {server.url("root.crl")});
  auto crl = make_crl(pki.root, {revoked_bob.certificate.get()});
  server.publish("root.crl", crl.get());

  CertificateSchemeOptions offline = pki.options(RevocationMode::Offline);
  offline.crls = crl_list(std::move(crl));
  const auto mode = GENERATE(RevocationMode::Offline, RevocationMode::Online);
  INFO("revocation mode " << to_string(mode));
  const CertificateScheme scheme(
      mode == RevocationMode::Offline ? std::move(offline) : pki.options(RevocationMode::Online, server));

  constexpr int kThreads = 8;
  constexpr int kRounds = 50;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  const auto started = SteadyClock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const bool use_bob = (t + round) % 2 == 0;
        const AuthResult result = authenticate(scheme, use_bob ? revoked_bob : alice);
        const bool right = use_bob
                               ? result.failure ==
                                     "Certificate chain validation failed: Revoked: "
                                     "certificate revoked (depth 0, 'CN=bob')"
                               : result.outcome == Outcome::Success && result.principal.name == "CN=alice";
        if (!right) ++wrong[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(SteadyClock::now() - started < std::chrono::seconds(60));
  CHECK(wrong == std::vector<int>(kThreads, 0));
  // All threads shared one download of the CRL.
  CHECK(server.requests().size() == (mode == RevocationMode::Online ? 1u : 0u));
}
