// Fixtures for the TLS layer's handshake tests: one small PKI made with libkrtool's own certificate
// builder (a client CA, a second CA, a server certificate and one client certificate of each kind the
// matrix needs), and server contexts made the way `krtool serve` makes them.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "krtool/cert/builder.hpp"
#include "krtool/tls/server_context.hpp"
#include "krtool/util/time.hpp"
#include "support/handshake.hpp"

namespace krtool::test {

inline cert::CertificateSpec ecdsa_spec(const std::string& subject, cert::Purpose purpose) {
  cert::CertificateSpec spec;
  spec.subject = subject;
  spec.names = {"localhost"};
  spec.purpose = purpose;
  spec.key.type = cert::KeyType::Ecdsa;  // quick to make and to sign with
  return spec;
}

inline cert::CertBundle make_authority(const std::string& subject) {
  cert::CertificateSpec spec = ecdsa_spec(subject, cert::Purpose::None);
  spec.names.clear();
  spec.is_ca = true;
  spec.valid_days = 3650;
  return cert::create_certificate(spec);
}

// ClientKind is the client certificate of one row of the matrix.
enum class ClientKind { None, Valid, SelfSigned, OtherCa, Expired, ServerAuthOnly, Revoked };

inline std::string to_string(ClientKind kind) {
  static constexpr const char* kDescriptions[] = {"no certificate",
                                                  "a valid certificate",
                                                  "a self-signed certificate",
                                                  "a certificate from another CA",
                                                  "an expired certificate",
                                                  "a serverAuth-only certificate",
                                                  "a revoked certificate"};
  return kDescriptions[static_cast<int>(kind)];
}

// Pki is made once per test run: key generation is the slow part of every case.
struct Pki {
  cert::CertBundle client_ca = make_authority("CN=Client CA, O=krtool tests");
  cert::CertBundle other_ca = make_authority("CN=Other CA, O=elsewhere");
  cert::CertBundle server = cert::create_certificate(ecdsa_spec("CN=localhost", cert::Purpose::Server));
  cert::CertBundle valid =
      cert::create_certificate(ecdsa_spec("CN=alice, O=krtool tests", cert::Purpose::Client), &client_ca);
  cert::CertBundle self_signed =
      cert::create_certificate(ecdsa_spec("CN=mallory, O=self", cert::Purpose::Client));
  cert::CertBundle other_ca_leaf =
      cert::create_certificate(ecdsa_spec("CN=eve, O=elsewhere", cert::Purpose::Client), &other_ca);
  cert::CertBundle expired = make_expired();
  cert::CertBundle server_auth_only = cert::create_certificate(
      ecdsa_spec("CN=web-server, O=krtool tests", cert::Purpose::Server), &client_ca);
  cert::CertBundle revoked = cert::create_certificate(
      ecdsa_spec("CN=revoked-rita, O=krtool tests", cert::Purpose::Client), &client_ca);

  const cert::CertBundle* client(ClientKind kind) const {
    // In ClientKind's order, after None.
    static constexpr cert::CertBundle Pki::*kBundles[] = {
        &Pki::valid,   &Pki::self_signed,      &Pki::other_ca_leaf,
        &Pki::expired, &Pki::server_auth_only, &Pki::revoked};
    return kind == ClientKind::None ? nullptr : &(this->*kBundles[static_cast<int>(kind) - 1]);
  }

 private:
  cert::CertBundle make_expired() const {
    cert::CertificateSpec spec = ecdsa_spec("CN=old-bob, O=krtool tests", cert::Purpose::Client);
    spec.not_before = now_seconds() - std::chrono::hours(24 * 10);
    spec.not_after = now_seconds() - std::chrono::hours(24);
    return cert::create_certificate(spec, &client_ca);
  }
};

inline const Pki& pki() {
  static const Pki instance;
  return instance;
}

// LogLines collects what the TLS layer logs; the in-memory handshake runs on the test's thread.
struct LogLines {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::function<void(const std::string&)> sink() const {
    return [lines = lines](const std::string& line) { lines->push_back(line); };
  }
  std::string all() const {
    std::string text;
    for (const std::string& line : *lines) text += line + "\n";
    return text;
  }
};

// server_options trusts the client CA for `mode` with strict validation unless a policy is set.
inline tls::ServerTlsOptions server_options(tls::ClientCertMode mode) {
  tls::ServerTlsOptions options;
  const cert::CertBundle& server = pki().server;
  options.identity.certificate = ossl::up_ref(server.certificate.get());
  options.identity.key = ossl::up_ref(server.key.get());
  options.mode = mode;
  options.trust_ca.push_back(ossl::up_ref(pki().client_ca.certificate.get()));
  return options;
}

// TestServer is a TLS layer configuration with its SSL_CTX, as DevServer holds them.
struct TestServer {
  explicit TestServer(tls::ServerTlsOptions options)
      : config(std::make_unique<tls::TlsServerConfig>(std::move(options))), context(config->make_context()) {}
  HandshakeOutcome connect(ClientKind kind, int version = TLS1_3_VERSION,
                           SSL_SESSION* resume = nullptr) const {
    return run_handshake(context.get(), ClientHello{pki().client(kind), version, resume});
  }
  std::unique_ptr<tls::TlsServerConfig> config;
  ossl::UniquePtr<SSL_CTX> context;
};

}  // namespace krtool::test
