// krtool test-client: one HTTPS request with an optional client certificate, and a report of what each
// layer (TCP, TLS, HTTP) decided. The TLS layer is driven by hand rather than through an HTTP library so
// that the report can say what a library hides: whether the server asked for a certificate, which CAs it
// named, what was sent, and which alert came back (TLS 1.3 delivers a rejection only at the first read).
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "krtool/cert/chain.hpp"
#include "krtool/cert/identity.hpp"
#include "krtool/util/password.hpp"

namespace krtool::client {

// Outcome is the contract's test-client table, plus `handshake-failed` for TLS failures that are about
// neither certificate (no shared protocol version or cipher).
enum class Outcome {
  Ok,
  HttpStatus,
  ClientCertRequired,
  ClientCertRejected,
  ServerCertUntrusted,
  HandshakeFailed,
  NotTls,
  ClientCertUnusable,
  ConnectFailed,
};
std::string to_string(Outcome outcome);  // "ok", "http-status", "client-cert-required", ...
int exit_code(Outcome outcome);          // the contract's exit code for the outcome

// HostOverride is curl's --resolve HOST:PORT:ADDR: connect to ADDR when the URL names HOST:PORT.
struct HostOverride {
  std::string host;
  int port = 0;
  std::string address;
};
HostOverride parse_host_override(const std::string& text);  // Error(Usage) naming --resolve

struct TestClientOptions {
  std::string url;
  // The client certificate: PFX, PEM or DER, with its key in the same file or in `key_file`.
  std::filesystem::path cert_file, key_file;
  std::optional<std::string> password;
  PasswordPrompt prompt;
  // Server verification: `cacert_file` replaces the system store; `insecure` (-k) still verifies and
  // reports, but carries on.
  std::filesystem::path cacert_file;
  bool insecure = false;
  std::string servername;  // SNI and the name checked in the server's certificate; default the URL's host
  std::vector<HostOverride> resolve;
  std::string tls_max;  // "1.2" or "1.3"; empty = the highest both support
  std::string method;   // "" = GET, or POST when there is data (as curl)
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> data;
  std::optional<int> expect_status;  // default: any 2xx is ok
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_body_bytes = 16 * 1024 * 1024;
};

// CertificateSummary is what the report says about one certificate.
// Its fields are cert::Identity's, so the report names them as the access log and claims do.
struct CertificateSummary : cert::Identity {
  bool self_signed = false;
};

struct Alert {
  int code = 0;
  std::string name;              // TLS's name, e.g. "unknown_ca"
  bool from_server = true;       // false: krtool sent it (it rejected the server's certificate)
  bool after_handshake = false;  // TLS 1.3: the server's verdict came with the first read
};

struct TlsReport {
  bool attempted = false;  // false for http:// URLs and when no connection was made
  bool handshake_completed = false;
  std::string protocol, cipher;
  std::optional<CertificateSummary> server_certificate;
  bool server_certificate_verified = false;
  std::string server_verify_error;  // the first chain problem (cert::to_string), "" when verified
  // Every distinct problem the chain engine found, with the anchors of --cacert or the system only (the
  // server's own certificates are intermediates, never anchors). A name the certificate does not hold
  // has .NET's SslPolicyErrors name, RemoteCertificateNameMismatch.
  std::vector<cert::ChainProblem> server_chain_problems;
  bool client_certificate_requested = false;
  std::vector<std::string> acceptable_cas;               // DNs the server named in its CertificateRequest
  std::optional<CertificateSummary> client_certificate;  // what we hold
  bool client_certificate_sent = false;
  // Whether the certificate we hold chains to a name in acceptable_cas; nullopt when the server named
  // none or we hold none. Browsers, Go and .NET send nothing when this is false.
  std::optional<bool> issuer_acceptable;
  // server_accepted: under TLS 1.3 the server sent a session ticket after reading our certificate, which
  // it does only once it has accepted the handshake.
  bool server_accepted = false;
  std::optional<Alert> alert;
  std::string failure;  // OpenSSL's reason for a failed handshake or read
};

struct HttpReport {
  bool received = false;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool body_truncated = false;
};

struct Diagnosis {
  std::string layer;  // "local", "tcp", "tls", "http"
  std::string cause;
  std::string fix;  // "" when there is nothing to fix
};

struct TestClientReport {
  std::string url;
  Outcome outcome = Outcome::ConnectFailed;
  std::string connected_to;  // "127.0.0.1:5000"
  TlsReport tls;
  HttpReport http;
  Diagnosis diagnosis;
  std::vector<std::string> notes;       // observations that are not the verdict (a missing EKU, ...)
  std::vector<std::string> transcript;  // the handshake, message by message, for -v
};

// run_test_client makes the request and never throws for anything the server or the network does:
// those are outcomes. It throws Error(Usage) for a malformed URL, header or option.
TestClientReport run_test_client(const TestClientOptions& options);

// to_json gives the contract's fields: url, outcome, status, body, headers, diagnosis, tls.
nlohmann::json to_json(const TestClientReport& report);

}  // namespace krtool::client
