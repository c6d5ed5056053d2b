#include "krtool/tls/server_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>

#include "auth/online_revocation.hpp"
#include "krtool/cert/chain.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "tls/ca_name_list.hpp"
#include "tls/callback_guard.hpp"
#include "tls/validation_calls.hpp"
#include "util/text.hpp"

namespace krtool::tls {
namespace {

using util::lower;

// The verdict lives in the SSL object's ex_data, freed with it.
int verdict_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr,
                                                [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
                                                  delete static_cast<HandshakeVerdict*>(ptr);
                                                });
  return index;
}

int config_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const TlsServerConfig* config_of(const SSL* ssl) {
  if (ssl == nullptr) return nullptr;
  return static_cast<const TlsServerConfig*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), config_index()));
}

const LogSink* log_of(const TlsServerConfig* config) {
  return config != nullptr ? &config->options().log : nullptr;
}

SSL* ssl_of(X509_STORE_CTX* context) {
  return static_cast<SSL*>(X509_STORE_CTX_get_ex_data(context, SSL_get_ex_data_X509_STORE_CTX_idx()));
}

// call_validation_code asks a policy that is validation code on a worker thread, waiting at most the
// deadline; nullopt when it did not answer in time. The call gets its own references to the policy and
// the certificates, and copies of the problems: an abandoned call outlives this handshake.
std::optional<bool> call_validation_code(const ServerTlsOptions& options, X509* leaf,
                                         const ChainVerdict& chain) {
  std::shared_ptr<const ClientCertPolicy> policy = options.policy;
  std::shared_ptr<X509> certificate(ossl::up_ref(leaf).release(), [](X509* x) { X509_free(x); });
  std::shared_ptr<STACK_OF(X509)> built(chain.chain != nullptr ? X509_chain_up_ref(chain.chain) : nullptr,
                                        [](STACK_OF(X509) * s) { ossl::Deleter<STACK_OF(X509)>()(s); });
  ossl::require(chain.chain == nullptr || built != nullptr, "copying the chain for the validation code");
  auto problems = std::make_shared<const std::vector<cert::ChainProblem>>(chain.problems);
  const SslPolicyErrors errors = chain.errors;
  return call_with_deadline(policy->name(), options.validation_deadline,
                            [policy, certificate, built, problems, errors] {
                              ChainVerdict own;
                              own.errors = errors;
                              own.problems = *problems;
                              own.chain = built.get();
                              return policy->accepts(certificate.get(), own);
                            });
}

// check_online_revocation asks Online revocation mode about a leaf whose chain is sound, as Kestrel's
// CheckCertificateRevocation does with X509RevocationMode.Online (the leaf only, its issuer's OCSP
// responder, then its CRL). A problem joins the chain's: Revoked gives the alert certificate_revoked,
// RevocationStatusUnknown (OpenSSL's "unable to get certificate CRL") the alert OpenSSL sends for it.
void check_online_revocation(X509_STORE_CTX* context, const TlsServerConfig* config, X509* leaf,
                             ChainVerdict& chain, HandshakeVerdict& verdict) {
  auth::OnlineRevocation* online = config->online_revocation();
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(context);
  if (online == nullptr || leaf == nullptr || !chain.problems.empty() || built == nullptr ||
      sk_X509_num(built) < 2)
    return;
  cert::ChainRequest request;
  request.certificate = leaf;
  request.trust = X509_STORE_CTX_get0_store(context);
  request.untrusted = X509_STORE_CTX_get0_untrusted(context);
  request.purpose = X509_PURPOSE_SSL_CLIENT;
  if (config->options().now) request.at = config->options().now();
  auth::RevocationOutcome outcome = online->check(request, sk_X509_value(built, 1));
  verdict.revocation = std::move(outcome.source);
  if (!outcome.problem) return;
  chain.problems.push_back(std::move(*outcome.problem));
  chain.errors = SslPolicyErrors::RemoteCertificateChainErrors;
}

// remember_chain_error keeps the first chain problem on the session, so that a resumed connection,
// which runs no verification, still reports it (chain_error). The session's ticket data travels inside
// the ticket, encrypted and authenticated with the server's ticket key, and stays with a cached session.
void remember_chain_error(SSL* ssl, const HandshakeVerdict& verdict) {
  SSL_SESSION* session = ssl != nullptr ? SSL_get_session(ssl) : nullptr;
  if (session == nullptr || verdict.reasons.empty()) return;
  const std::string& first = verdict.reasons.front();
  ossl::require(SSL_SESSION_set1_ticket_appdata(session, first.data(), first.size()) == 1,
                "keeping the chain's first problem with the session");
}

// decide_client_certificate replaces OpenSSL's chain verification for the whole handshake, so the
// decision is made once, not once per chain depth; verify_client_certificate is its guarded entry.
int decide_client_certificate(X509_STORE_CTX* context, const TlsServerConfig* config) {
  SSL* ssl = ssl_of(context);
  X509* leaf = X509_STORE_CTX_get0_cert(context);

  auto verdict = std::make_unique<HandshakeVerdict>();
  verdict->certificate_presented = leaf != nullptr;
  verdict->subject = leaf != nullptr ? cert::format_dn(X509_get_subject_name(leaf)) : "";

  if (config->options().now) {
    // The injected clock (tests) decides what "expired" and "not yet valid" mean for this chain.
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context), to_time_t(config->options().now()));
  }
  // The chain engine, on the context libssl prepared: the client's chain as untrusted intermediates,
  // the --trust-ca store (with its CRLs) as anchors, and the "SSL client" purpose.
  ChainVerdict chain;
  chain.problems = cert::verify_prepared(context).problems;
  chain.errors =
      chain.problems.empty() ? SslPolicyErrors::None : SslPolicyErrors::RemoteCertificateChainErrors;
  chain.chain = X509_STORE_CTX_get0_chain(context);
  check_online_revocation(context, config, leaf, chain, *verdict);
  const int first_error = chain.problems.empty() ? X509_V_OK : chain.problems.front().error;
  for (const cert::ChainProblem& problem : chain.problems)
    verdict->reasons.push_back(cert::to_string(problem));
  verdict->errors = chain.errors;

  const ClientCertPolicy* policy = config->options().policy.get();
  std::string policy_failure;
  if (policy == nullptr) {
    verdict->decided_by = "strict validation";
    verdict->accepted = verdict->errors == SslPolicyErrors::None;
  } else {
    verdict->decided_by = policy->name();
    try {
      if (policy->is_validation_code()) {
        const std::optional<bool> answer = call_validation_code(config->options(), leaf, chain);
        verdict->accepted = answer.value_or(false);
        if (!answer) {
          policy_failure = fmt::format(" (validation code did not return within {})",
                                       format_deadline(config->options().validation_deadline));
        }
      } else {
        verdict->accepted = policy->accepts(leaf, chain);
      }
    } catch (const std::exception& e) {
      verdict->accepted = false;
      policy_failure = fmt::format(" (the policy threw: {})", e.what());
    } catch (...) {
      verdict->accepted = false;
      policy_failure = " (the policy threw an exception)";
    }
  }

  if (verdict->accepted) {
    X509_STORE_CTX_set_error(context, X509_V_OK);
  } else {
    // The error chosen here becomes the alert the client receives: chain errors keep OpenSSL's own
    // (unknown_ca, certificate_expired, ...), a policy's refusal of a sound chain is bad_certificate.
    X509_STORE_CTX_set_error(context, first_error != X509_V_OK ? first_error : X509_V_ERR_CERT_REJECTED);
  }
  const bool accepted = verdict->accepted;
  const std::string rejection =
      accepted ? std::string()
               : fmt::format(
                     "tls: rejected client certificate '{}' from {}: {} by {}{}{}{}", verdict->subject,
                     peer_address(ssl), to_string(verdict->errors), verdict->decided_by,
                     verdict->reasons.empty() ? "" : fmt::format(" [{}]", fmt::join(verdict->reasons, "; ")),
                     verdict->revocation.empty() ? "" : fmt::format(" [revocation: {}]", verdict->revocation),
                     policy_failure);
  // Kept before the log line is written, so that a log sink that throws cannot lose the verdict.
  if (accepted) remember_chain_error(ssl, *verdict);
  if (ssl != nullptr) {
    delete static_cast<HandshakeVerdict*>(SSL_get_ex_data(ssl, verdict_index()));
    SSL_set_ex_data(ssl, verdict_index(), verdict.release());
  }
  if (!accepted && config->options().log) config->options().log(rejection);
  return accepted ? 1 : 0;
}

int verify_client_certificate(X509_STORE_CTX* context, void* arg) {
  const auto* config = static_cast<const TlsServerConfig*>(arg);
  return guard_callback(
      log_of(config), ssl_of(context), "verifying the client certificate",
      [&] { return decide_client_certificate(context, config); },
      [context] {
        // Any error other than X509_V_OK fails the handshake; this one sends handshake_failure.
        X509_STORE_CTX_set_error(context, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
      });
}

// alert_name names the alerts a client-certificate handshake ends with; OpenSSL 3.0 calls 116 "unknown".
std::string alert_name(int alert) {
  if (alert == SSL_AD_CERTIFICATE_REQUIRED) return "certificate required";
  return SSL_alert_desc_string_long(alert);
}

// log_alerts reports the alerts the server sends during a handshake, which is how a handshake without
// the required certificate, or with the wrong protocol, shows up in the log. Alerts after the
// handshake (a client closing a finished connection) are not failures and are not logged.
void log_alerts_unguarded(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_WRITE_ALERT) == 0 || SSL_is_init_finished(ssl) == 1) return;
  const TlsServerConfig* config = config_of(ssl);
  if (config == nullptr || !config->options().log) return;
  const int alert = value & 0xFF;
  if (alert == SSL_AD_CLOSE_NOTIFY) return;
  std::string why;
  const bool no_certificate =
      SSL_get0_peer_certificate(ssl) == nullptr && config->options().mode == ClientCertMode::Require;
  if (alert == SSL_AD_CERTIFICATE_REQUIRED || (alert == SSL_AD_HANDSHAKE_FAILURE && no_certificate)) {
    why = fmt::format(": no client certificate was sent and {} is require", config->options().names.mode);
  }
  config->options().log(fmt::format("tls: handshake with {} failed: sent alert {} ({}){}", peer_address(ssl),
                                    alert, alert_name(alert), why));
}

// log_alerts runs while the server writes an alert during the handshake, which ends it already: its
// refusal has nothing left to refuse, only the failure to report.
void log_alerts(const SSL* ssl, int where, int value) {
  guard_callback(
      log_of(config_of(ssl)), ssl, "logging a TLS alert", [&] { log_alerts_unguarded(ssl, where, value); },
      [] {});
}

}  // namespace

namespace {

struct ModeSpelling {
  ClientCertMode mode;
  const char* name;    // krtool's
  const char* dotnet;  // Kestrel's ClientCertificateMode
};
constexpr ModeSpelling kModeSpellings[] = {{ClientCertMode::None, "none", "NoCertificate"},
                                           {ClientCertMode::Allow, "allow", "AllowCertificate"},
                                           {ClientCertMode::Require, "require", "RequireCertificate"}};

}  // namespace

std::vector<std::string> client_cert_mode_words() {
  std::vector<std::string> words;
  for (const ModeSpelling& s : kModeSpellings) words.emplace_back(s.name);
  for (const ModeSpelling& s : kModeSpellings) words.emplace_back(s.dotnet);
  return words;
}

ClientCertMode parse_client_cert_mode(std::string_view text, std::string_view flag) {
  const std::string t = lower(text);
  for (const ModeSpelling& s : kModeSpellings) {
    if (t == s.name || t == lower(s.dotnet)) return s.mode;
  }
  if (t == "delay" || t == "delaycertificate") {
    throw Error(Errc::Usage, fmt::format("{}: DelayCertificate is not supported", flag),
                "krtool does not renegotiate; use allow and protect routes with an authentication scheme");
  }
  throw Error(Errc::Usage, fmt::format("{}: unknown mode '{}'", flag, text),
              "choose none, allow or require (or NoCertificate, AllowCertificate, RequireCertificate)");
}

std::string to_string(ClientCertMode mode) {
  switch (mode) {
    case ClientCertMode::None:
      return "none";
    case ClientCertMode::Allow:
      return "allow";
    case ClientCertMode::Require:
      return "require";
  }
  return "none";
}

std::pair<int, int> parse_ssl_protocols(std::string_view text, std::string_view flag) {
  int min = 0, max = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string item = lower(rest.substr(0, comma));
    item.erase(
        std::remove_if(item.begin(), item.end(), [](char c) { return c == ' ' || c == '.' || c == 'v'; }),
        item.end());
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    int version = 0;
    if (item == "tls12")
      version = TLS1_2_VERSION;
    else if (item == "tls13")
      version = TLS1_3_VERSION;
    else if (item == "tls" || item == "tls11" || item == "tls10" || item == "ssl3" || item == "ssl2") {
      throw Error(Errc::Usage, fmt::format("{}: '{}' is obsolete and not offered", flag, item),
                  "use tls12, tls13 or both");
    } else {
      throw Error(Errc::Usage, fmt::format("{}: unknown protocol '{}'", flag, item),
                  "use tls12, tls13 or tls12,tls13");
    }
    min = min == 0 ? version : std::min(min, version);
    max = std::max(max, version);
  }
  if (min == 0)
    throw Error(Errc::Usage, fmt::format("{}: no protocol given", flag), "use tls12, tls13 or tls12,tls13");
  return {min, max};
}

std::string HandshakeVerdict::summary() const {
  if (!certificate_presented) return "no certificate";
  const std::string verb = accepted ? "accepted" : "rejected";
  const std::string source = revocation.empty() ? "" : fmt::format(" [revocation: {}]", revocation);
  if (decided_by == "strict validation") return fmt::format("{} ({}){}", verb, to_string(errors), source);
  return fmt::format("{} by {} ({}){}", verb, decided_by, to_string(errors), source);
}

TlsServerConfig::TlsServerConfig(ServerTlsOptions options) : options_(std::move(options)) {
  const SettingNames& names = options_.names;
  if (!options_.identity.certificate || !options_.identity.key) {
    throw Error(
        Errc::Usage, "the server needs a certificate and its private key",
        fmt::format("set {} (and {} when the certificate's file has no key)", names.certificate, names.key));
  }
  parse_ssl_protocols(options_.ssl_protocols);
  store_ = cert::trust_store(options_.trust_ca);
  if (options_.check_certificate_revocation && options_.revocation_mode == auth::RevocationMode::Online) {
    online_ = std::make_unique<auth::OnlineRevocation>(options_.revocation_fetch_timeout,
                                                       options_.revocation_fetcher, options_.now);
  } else if (options_.check_certificate_revocation) {
    if (options_.revocation_mode != auth::RevocationMode::Offline) {
      throw Error(Errc::Usage,
                  fmt::format("{} with {} nocheck checks nothing", names.check_certificate_revocation,
                              names.revocation_mode),
                  fmt::format("set {} to online or offline, or turn {} off", names.revocation_mode,
                              names.check_certificate_revocation));
    }
    if (options_.crls.empty()) {
      throw Error(
          Errc::Usage,
          fmt::format("{} in offline mode needs the CRLs to check against",
                      names.check_certificate_revocation),
          fmt::format("give {} for each issuing CA, or set {} to online", names.crls, names.revocation_mode));
    }
    for (const auto& crl : options_.crls) {
      ossl::require(X509_STORE_add_crl(store_.get(), crl.get()) == 1,
                    fmt::format("adding a CRL of {} to the trust store", names.crls));
    }
    X509_STORE_set_flags(store_.get(), X509_V_FLAG_CRL_CHECK);
  }
}

TlsServerConfig::~TlsServerConfig() = default;

bool TlsServerConfig::handshake_may_block() const {
  return online_ != nullptr || (options_.policy != nullptr && options_.policy->is_validation_code());
}

void TlsServerConfig::configure(SSL_CTX* ctx) const {
  const auto [min, max] = parse_ssl_protocols(options_.ssl_protocols);
  ossl::require(SSL_CTX_set_min_proto_version(ctx, min) == 1 && SSL_CTX_set_max_proto_version(ctx, max) == 1,
                "setting the TLS protocol versions");
  ossl::require(SSL_CTX_use_certificate(ctx, options_.identity.certificate.get()) == 1,
                "using the server certificate", Errc::Input);
  ossl::require(SSL_CTX_use_PrivateKey(ctx, options_.identity.key.get()) == 1, "using the server key",
                Errc::Input);
  ossl::require(SSL_CTX_check_private_key(ctx) == 1, "checking the server key against its certificate",
                Errc::Input);
  for (const auto& member : options_.identity.chain) {
    // Send intermediates; a self-signed root is the client's to trust, not ours to send.
    if (X509_check_issued(member.get(), member.get()) == X509_V_OK) continue;
    ossl::require(SSL_CTX_add1_chain_cert(ctx, member.get()) == 1, "adding the server's chain");
  }
  // Resumed sessions keep the peer certificate; the id context ties sessions to this configuration.
  static constexpr unsigned char kSessionContext[] = "krtool-serve";
  ossl::require(SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1) == 1,
                "setting the session id context");
  SSL_CTX_set_ex_data(ctx, config_index(), const_cast<TlsServerConfig*>(this));
  SSL_CTX_set_info_callback(ctx, log_alerts);
  // Browsers and HTTP clients often drop a finished keep-alive connection without close_notify; that is
  // an ordinary end of a connection, not an error to answer with an alert.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  ossl::require(options_.tls13_tickets >= 0 &&
                    SSL_CTX_set_num_tickets(ctx, static_cast<size_t>(options_.tls13_tickets)) == 1,
                "setting the number of TLS 1.3 session tickets");

  switch (options_.mode) {
    case ClientCertMode::None:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      return;
    case ClientCertMode::Allow:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientCertMode::Require:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  X509_STORE_up_ref(store_.get());
  SSL_CTX_set_cert_store(ctx, store_.get());
  SSL_CTX_set_cert_verify_callback(ctx, verify_client_certificate, const_cast<TlsServerConfig*>(this));
  if (!options_.trust_ca.empty()) {
    // The CertificateRequest names the trusted issuers, so that clients (browsers, Go, curl with
    // several certificates) can pick a certificate those issuers signed.
    SSL_CTX_set_client_CA_list(ctx, ca_name_list(options_.trust_ca).release());  // the context owns it
  }
}

ossl::UniquePtr<SSL_CTX> TlsServerConfig::make_context() const {
  ossl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()));
  ossl::require(ctx != nullptr, "creating a TLS server context");
  configure(ctx.get());
  return ctx;
}

HandshakeVerdict TlsServerConfig::decide(X509* leaf, STACK_OF(X509) * chain) const {
  const ossl::UniquePtr<SSL_CTX> ctx = make_context();
  const ossl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  ossl::require(ssl != nullptr, "creating a TLS connection object for the dry run");
  // What libssl's ssl_verify_cert_chain does before it calls the verify callback.
  const ossl::UniquePtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  ossl::require(context != nullptr && X509_STORE_CTX_init(context.get(), store_.get(), leaf, chain) == 1,
                "preparing the client certificate's verification");
  ossl::require(
      X509_STORE_CTX_set_ex_data(context.get(), SSL_get_ex_data_X509_STORE_CTX_idx(), ssl.get()) == 1 &&
          X509_STORE_CTX_set_default(context.get(), "ssl_client") == 1 &&
          X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(context.get()), SSL_get0_param(ssl.get())) == 1,
      "preparing the client certificate's verification");
  verify_client_certificate(context.get(), const_cast<TlsServerConfig*>(this));
  if (const HandshakeVerdict* verdict = handshake_verdict(ssl.get())) return *verdict;
  HandshakeVerdict failed;  // the callback failed before it could record a verdict
  failed.certificate_presented = true;
  failed.decided_by = "the verification callback (it failed; see the log)";
  return failed;
}

const HandshakeVerdict* handshake_verdict(const SSL* ssl) {
  if (ssl == nullptr) return nullptr;
  return static_cast<const HandshakeVerdict*>(SSL_get_ex_data(ssl, verdict_index()));
}

std::string chain_error(const SSL* ssl) {
  if (ssl == nullptr || SSL_get0_peer_certificate(ssl) == nullptr) return "";
  if (const HandshakeVerdict* verdict = handshake_verdict(ssl)) {
    if ((verdict->errors & SslPolicyErrors::RemoteCertificateChainErrors) == SslPolicyErrors::None) return "";
    return verdict->reasons.empty() ? "certificate chain errors" : verdict->reasons.front();
  }
  // A resumed session ran no verification: the first handshake left its verdict with the session.
  SSL_SESSION* session = SSL_get_session(ssl);
  void* data = nullptr;
  size_t length = 0;
  if (session == nullptr || SSL_SESSION_get0_ticket_appdata(session, &data, &length) != 1 || data == nullptr)
    return "";
  return std::string(static_cast<const char*>(data), length);
}

std::string access_log_verdict(const SSL* ssl) {
  if (const HandshakeVerdict* verdict = handshake_verdict(ssl)) return verdict->summary();
  const bool presented = ssl != nullptr && SSL_get0_peer_certificate(ssl) != nullptr;
  if (ssl != nullptr && SSL_session_reused(const_cast<SSL*>(ssl)) == 1)
    return presented ? "resumed" : "resumed, no certificate";
  return presented ? "not checked" : "no certificate";
}

}  // namespace krtool::tls
