// The TLS layer of the development server: an SSL_CTX that presents the server certificate, requests
// client certificates per the mode, and decides on a presented certificate once per handshake (chain →
// SslPolicyErrors → policy or strict). The decision is kept on the connection for the access log.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/bundle.hpp"
#include "krtool/tls/policy.hpp"
#include "krtool/util/time.hpp"

namespace krtool::tls {

// ClientCertMode is Kestrel's ClientCertificateMode: NoCertificate, AllowCertificate, RequireCertificate.
enum class ClientCertMode { None, Allow, Require };
ClientCertMode parse_client_cert_mode(std::string_view text, std::string_view flag = "--client-cert-mode");
// client_cert_mode_words is every word parse_client_cert_mode accepts (ignoring case): krtool's, then
// Kestrel's. The --config reader and the shell completions offer exactly these.
std::vector<std::string> client_cert_mode_words();
std::string to_string(ClientCertMode mode);  // "none", "allow", "require"

// SettingNames is what the TLS layer's errors and log lines call its settings, so that the user reads
// the name they wrote: krtool serve gives the flag or the --config key (ServeConfig::name_of). The
// defaults are ServerTlsOptions' own member names, for a library user.
struct SettingNames {
  std::string certificate = "identity.certificate";
  std::string key = "identity.key";
  std::string mode = "mode";
  std::string check_certificate_revocation = "check_certificate_revocation";
  std::string revocation_mode = "revocation_mode";
  std::string crls = "crls";
};

struct ServerTlsOptions {
  cert::CertBundle identity;  // the server certificate, its key and the chain to send
  ClientCertMode mode = ClientCertMode::None;
  std::vector<ossl::UniquePtr<X509>>
      trust_ca;  // trusted issuers of client certificates; empty = system store
  bool check_certificate_revocation = false;
  // How check_certificate_revocation learns a client certificate's status: Offline checks `crls`;
  // Online asks the OCSP responder in the certificate's AIA, then its CRL distribution point, as the
  // certificate scheme's Online mode does (handshake_may_block() then says so). NoCheck is refused.
  auth::RevocationMode revocation_mode = auth::RevocationMode::Offline;
  std::vector<ossl::UniquePtr<X509_CRL>> crls;               // Offline mode
  std::chrono::milliseconds revocation_fetch_timeout{5000};  // Online mode, per responder or CRL
  auth::RevocationFetcher revocation_fetcher;                // Online mode; empty: the plain HTTP client
  std::string ssl_protocols = "tls12,tls13";
  std::shared_ptr<const ClientCertPolicy> policy;  // null: accept only a chain without errors
  // validation_deadline bounds the wait for a policy that is validation code (is_validation_code()): it
  // runs on a worker thread, and a call that has not returned by then rejects the handshake and is
  // abandoned. serve passes its handshake timeout, which the wait is part of.
  std::chrono::milliseconds validation_deadline{std::chrono::seconds(10)};
  // tls13_tickets is the number of TLS 1.3 session tickets sent after a full handshake. Each holds the
  // session, client certificate included, encrypted for the client (about 155 µs each with a client
  // certificate); one is enough to resume, OpenSSL's default is 2, and 0 disables resumption by ticket.
  int tls13_tickets = 1;
  // log receives one line per handshake rejected by the TLS layer, and the reason when a callback
  // failed; called on TLS threads. A log that throws fails that handshake, not the server.
  std::function<void(const std::string& line)> log;
  // now is the time client certificates are checked at; empty means the system clock. Tests inject one
  // to meet expired and not-yet-valid certificates without waiting.
  std::function<TimePoint()> now;
  SettingNames names;
};

// HandshakeVerdict is the TLS layer's decision about one connection's client certificate.
struct HandshakeVerdict {
  bool certificate_presented = false;
  SslPolicyErrors errors = SslPolicyErrors::None;
  std::vector<std::string> reasons;  // OpenSSL's reasons, with depth and subject
  std::string decided_by;            // "strict validation" or the policy's name
  bool accepted = false;
  std::string subject;  // of the client certificate, "" when none
  // Where Online revocation checking found the status ("OCSP at URL, good, cached until T"); "" when
  // none was sought.
  std::string revocation;

  // summary is the access log's TLS field: "accepted (None)", "accepted by AllowAny
  // (RemoteCertificateChainErrors)".
  std::string summary() const;
};

// TlsServerConfig is the immutable state a configured SSL_CTX refers to; it must outlive the context.
class TlsServerConfig {
 public:
  explicit TlsServerConfig(ServerTlsOptions options);
  ~TlsServerConfig();
  // make_context is an SSL_CTX that refers to this configuration; Error on failure.
  ossl::UniquePtr<SSL_CTX> make_context() const;
  const ServerTlsOptions& options() const { return options_; }
  // handshake_may_block says that deciding on a client certificate may wait (validation code, or an
  // OCSP or CRL fetch in Online revocation mode): serve then runs handshake steps off its event loop.
  bool handshake_may_block() const;
  auth::OnlineRevocation* online_revocation() const { return online_.get(); }

  // decide is the verdict a handshake presenting `leaf`, with the client's intermediates `chain`, would
  // reach: the handshake's own callback, on a verification context set up as libssl sets one up, without
  // a connection (krtool policy test). The mode is the caller's to apply: mode none asks for no
  // certificate. Thread-safe; a rejection goes to the configured log like a handshake's.
  HandshakeVerdict decide(X509* leaf, STACK_OF(X509) * chain) const;

 private:
  void configure(SSL_CTX* ctx) const;

  ServerTlsOptions options_;
  std::unique_ptr<auth::OnlineRevocation> online_;  // Online revocation mode
  ossl::UniquePtr<X509_STORE> store_;               // shared by every handshake; read-only after construction
};

// handshake_verdict returns the verdict recorded for `ssl`, or null when there was none (no certificate
// requested, or a resumed session, which keeps the original handshake's peer certificate).
const HandshakeVerdict* handshake_verdict(const SSL* ssl);

// access_log_verdict is the access log's tls= field for a connection: the verdict's summary, else
// "resumed" / "resumed, no certificate" for a resumed session (which keeps the first handshake's
// certificate), "no certificate", or "not checked" when a certificate arrived without a verdict.
std::string access_log_verdict(const SSL* ssl);

// chain_error is the engine's wording of the first problem the chain check found for the connection's
// client certificate ("UntrustedRoot: self-signed certificate (depth 0, 'CN=mallory')"), whatever the
// validation policy then decided; "" when the chain verified or no certificate was presented. A resumed
// session gives the first handshake's, which the session carries (in its ticket too).
std::string chain_error(const SSL* ssl);

// parse_ssl_protocols reads "tls12,tls13" (also .NET's Tls12, Tls13) into min and max versions.
std::pair<int, int> parse_ssl_protocols(std::string_view text, std::string_view flag = "--ssl-protocols");

}  // namespace krtool::tls
