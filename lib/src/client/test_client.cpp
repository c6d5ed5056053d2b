// run_test_client: the order of the layers, and the evidence each one leaves for the diagnosis.
#include "krtool/client/test_client.hpp"

#include <fmt/format.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <optional>

#include "client/connection.hpp"
#include "client/diagnose.hpp"
#include "client/http_exchange.hpp"
#include "client/stream.hpp"
#include "client/summary.hpp"
#include "client/tls_session.hpp"
#include "http/url.hpp"
#include "krtool/cert/alt_names.hpp"
#include "krtool/cert/chain.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/cert/validate.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/time.hpp"

namespace krtool::client {

using http::Url;

namespace {

constexpr auto kPlainHttpProbeBudget = std::chrono::milliseconds(2000);

// probe_reserve is the part of --timeout kept for the plain HTTP probe: its budget, or a quarter of a
// short timeout.
std::chrono::milliseconds probe_reserve(std::chrono::milliseconds timeout) {
  return std::min<std::chrono::milliseconds>(kPlainHttpProbeBudget, timeout / 4);
}

void check_request_options(const TestClientOptions& options) {
  const auto bad = [](std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; };
  for (const auto& [name, value] : options.headers) {
    if (name.empty() || bad(name) || bad(value) || name.find_first_of(" \t:") != std::string::npos) {
      throw Error(Errc::Usage, fmt::format("-H '{}: {}': not a valid header", name, value),
                  "give -H 'Name: value'");
    }
  }
  if (bad(options.method) || options.method.find(' ') != std::string::npos) {
    throw Error(Errc::Usage, fmt::format("-X '{}': not a valid method", options.method), "e.g. -X POST");
  }
  if (!options.cert_file.empty() || options.key_file.empty()) return;
  throw Error(Errc::Usage, "--key needs --cert", "give the certificate with --cert FILE");
}

LocalCertificate describe_local(const cert::CertBundle& bundle) {
  LocalCertificate local;
  X509* certificate = bundle.certificate.get();
  local.summary = summarize(certificate);
  local.purposes = cert::certificate_purposes(certificate);
  // What OpenSSL's TLS layer accepts for a client (nginx, s_server, krtool serve's TLS layer): no EKU at
  // all, clientAuth, or anyExtendedKeyUsage.
  const std::vector<std::string> usages = cert::enhanced_key_usage_oids(certificate);
  local.client_auth_usable = usages.empty() ||
                             std::find(usages.begin(), usages.end(), cert::kClientAuthOid) != usages.end() ||
                             std::find(usages.begin(), usages.end(), "2.5.29.37.0") != usages.end();
  const std::optional<cert::ChainProblem> validity = cert::validity_problem(certificate, now_seconds());
  local.expired = validity && validity->error == X509_V_ERR_CERT_HAS_EXPIRED;
  local.not_yet_valid = validity && validity->error == X509_V_ERR_CERT_NOT_YET_VALID;
  local.issuer_names.push_back(local.summary.issuer);
  for (const auto& issuer : bundle.chain) {
    local.issuer_names.push_back(cert::format_dn(X509_get_subject_name(issuer.get())));
    local.issuer_names.push_back(cert::format_dn(X509_get_issuer_name(issuer.get())));
  }
  return local;
}

// probe_plain_http asks the port in plain HTTP, to tell a plain-HTTP server from one that failed TLS.
std::string probe_plain_http(const Url& url, const TestClientOptions& options, const Deadline& deadline) {
  auto connected = connect_to(url.host, url.port, options.resolve, deadline);
  auto* connection = std::get_if<Connected>(&connected);
  if (connection == nullptr) return "";
  PlainStream stream(std::move(connection->socket));
  if (!stream.write_all(fmt::format("HEAD {} HTTP/1.0\r\nHost: {}\r\n\r\n", url.target, url.authority),
                        deadline))
    return "";
  std::string answer;
  char buffer[512];
  while (answer.find('\n') == std::string::npos && answer.size() < sizeof buffer) {
    const long got = stream.read_some(buffer, sizeof buffer, deadline);
    if (got <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(got));
  }
  if (answer.rfind("HTTP/", 0) != 0) return "";
  return answer.substr(0, answer.find_first_of("\r\n"));
}

}  // namespace

namespace {

// SigpipeBlocked keeps a write to a connection the server has closed from killing the process: OpenSSL's
// socket BIO writes with write(), which raises SIGPIPE. The signal is blocked in this thread for the
// exchange and a SIGPIPE that came meanwhile is taken off the pending set before the mask is restored,
// so an embedding program's own handling is left as it was.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  sigset_t pipe_{}, previous_{};
  bool was_pending_ = false;
};

}  // namespace

TestClientReport run_test_client(const TestClientOptions& options) {
  const SigpipeBlocked no_sigpipe;
  TestClientReport report;
  report.url = options.url;
  auto parsed = http::parse_url(options.url);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    throw Error(Errc::Usage, fmt::format("URL '{}': {}", options.url, *why),
                "give a URL such as https://localhost:5000/secure/cert/hello");
  }
  const Url& url = std::get<Url>(parsed);
  check_request_options(options);

  Facts facts;
  facts.url = url;
  facts.expect_status = options.expect_status;
  facts.insecure = options.insecure;
  facts.tls_max = options.tls_max;

  TlsClientSetup setup;
  setup.cacert_file = options.cacert_file;
  setup.insecure = options.insecure;
  setup.verify_name = options.servername.empty() ? url.host : options.servername;
  setup.sni = cert::is_ip_address(setup.verify_name) ? std::string() : setup.verify_name;
  setup.tls_max = options.tls_max;
  ossl::UniquePtr<SSL_CTX> context;
  if (url.tls)
    context = make_client_context(setup);  // a bad --cacert or --tls-max is an error, not an outcome

  std::optional<cert::CertBundle> credentials;
  if (!options.cert_file.empty()) {
    try {
      formats::LoadOptions load;
      load.password = options.password;
      load.key_path = options.key_file;
      load.sibling_key = true;
      load.prompt = options.prompt;
      credentials = formats::load_bundle(options.cert_file, load);
      if (!credentials->key) {
        throw Error(Errc::Input,
                    fmt::format("'{}' holds a certificate but no private key", options.cert_file.string()),
                    "give the key with --key FILE (krtool also looks for <base>.key beside a PEM file), or "
                    "use a PFX that contains it");
      }
      facts.local = describe_local(*credentials);
      report.tls.client_certificate = facts.local->summary;
      if (context) use_client_certificate(context.get(), *credentials);
    } catch (const Error& error) {
      if (error.code() == Errc::Usage) throw;
      facts.unusable = std::make_pair(std::string(error.what()), error.hint());
      diagnose(facts, report);
      return report;
    }
  }

  const Deadline deadline(options.timeout);
  // A plain HTTP server that waits for a line end never answers the ClientHello: the handshake ends early
  // enough to leave time for a plain HTTP probe, so such a port is named not-tls rather than timed out.
  const Deadline handshake_deadline(options.timeout - probe_reserve(options.timeout));
  auto connected = connect_to(url.host, url.port, options.resolve, deadline);
  if (auto* failure = std::get_if<ConnectFailure>(&connected)) {
    facts.connect_failure = *failure;
    diagnose(facts, report);
    return report;
  }
  Connected& connection = std::get<Connected>(connected);
  report.connected_to = connection.address;
  report.transcript.push_back(fmt::format("* connected to {}", connection.address));
  const std::string request = build_request(url, options);
  const bool head = options.method == "HEAD";

  if (!url.tls) {
    PlainStream stream(std::move(connection.socket));
    facts.exchange = exchange(stream, request, head, options.max_body_bytes, report.http, deadline);
    diagnose(facts, report);
    return report;
  }

  report.tls.attempted = true;
  std::optional<TlsSession> session;
  session.emplace(context.get(), std::move(connection.socket), setup, report.tls, report.transcript);
  const bool shook = session->handshake(handshake_deadline);
  if (facts.local && !report.tls.acceptable_cas.empty()) {
    const auto& names = facts.local->issuer_names;
    report.tls.issuer_acceptable = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
      return std::find(report.tls.acceptable_cas.begin(), report.tls.acceptable_cas.end(), name) !=
             report.tls.acceptable_cas.end();
    });
  }
  if (!shook) {
    facts.handshake_failed = true;
    facts.handshake_timed_out = session->timed_out();
    facts.bytes_received = session->bytes_received();
    facts.first_bytes = session->first_bytes();
    // Closed before the probe: a server that serves one connection at a time (the JDK's HttpServer) reads
    // the probe only once it has given up on the ClientHello's connection.
    session.reset();
    if (!report.tls.alert && (facts.bytes_received == 0 || !looks_like_tls_record(facts.first_bytes))) {
      facts.plain_http_answer = probe_plain_http(url, options, deadline.sooner(kPlainHttpProbeBudget));
    }
    diagnose(facts, report);
    return report;
  }
  if (!session->await_server_verdict(deadline)) {
    facts.verdict_failed = true;
    diagnose(facts, report);
    return report;
  }
  facts.exchange = exchange(*session, request, head, options.max_body_bytes, report.http, deadline);
  diagnose(facts, report);
  return report;
}

}  // namespace krtool::client
