#include "client/diagnose.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>

#include "util/text.hpp"

namespace krtool::client {

namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

using util::lower;

// Where each server keeps the CAs it trusts for client certificates, for a fix that names them all.
constexpr const char* kServerTrustSettings =
    "krtool serve --trust-ca FILE; Go tls.Config.ClientCAs; Caddy client_auth trusted_ca_cert_file; nginx "
    "ssl_client_certificate; Apache SSLCACertificateFile; HAProxy ca-file; stunnel CAfile";

const std::string* find_header(const HttpReport& http, std::string_view name) {
  for (const auto& [field, value] : http.headers) {
    if (lower(field) == lower(std::string(name))) return &value;
  }
  return nullptr;
}

std::string alert_text(const std::optional<Alert>& alert) {
  if (!alert) return "without an alert";
  return fmt::format("with alert {} {}", alert->code, alert->name);
}

// Each classify_* function below decides one stage and fills the diagnosis.
class Diagnoser {
 public:
  Diagnoser(const Facts& facts, TestClientReport& report)
      : facts_(facts), report_(report), tls_(report.tls) {}

  void run() {
    if (facts_.unusable) return unusable();
    if (facts_.connect_failure) return connect_failed();
    if (facts_.handshake_failed) return handshake_failed();
    if (facts_.verdict_failed) return tls_rejection();
    if (facts_.exchange && facts_.exchange->stage != ExchangeStage::Done && !report_.http.received)
      return no_response();
    http_response();
  }

  void add_notes() {
    const std::optional<LocalCertificate>& local = facts_.local;
    if (tls_.issuer_acceptable == false && local && tls_.client_certificate_sent) {
      note(
          fmt::format("the server named the CAs it accepts ({}) and the issuer of '{}' is not among them: "
                      "krtool sent the "
                      "certificate anyway, but browsers, Go and .NET would have sent none",
                      quoted_list(tls_.acceptable_cas), local->summary.subject));
    }
    if (local && tls_.handshake_completed && !tls_.client_certificate_requested) {
      note(fmt::format("the server did not ask for a client certificate, so '{}' was not sent",
                       local->summary.subject));
    }
    if (facts_.insecure && !tls_.server_verify_error.empty()) {
      note(fmt::format("the server's certificate did not verify and -k ignored it: {}", server_problems()));
    }
    if (local && report_.outcome != Outcome::ClientCertUnusable) {
      // A cause that named the validity or the usage already says what these notes would.
      if (local->expired && !named_validity_)
        note(fmt::format("your certificate '{}' expired on {}", local->summary.subject,
                         local->summary.not_after));
      if (local->not_yet_valid && !named_validity_)
        note(fmt::format("your certificate '{}' is not valid yet", local->summary.subject));
      if (!local->client_auth_usable && !named_usage_) {
        note(fmt::format("your certificate '{}' cannot authenticate a client: its extended key usage is {}",
                         local->summary.subject, quoted_list(local->purposes)));
      }
    }
  }

 private:
  void set(Outcome outcome, std::string layer, std::string cause, std::string fix) {
    report_.outcome = outcome;
    report_.diagnosis = Diagnosis{std::move(layer), std::move(cause), std::move(fix)};
  }
  void note(std::string text) { report_.notes.push_back(std::move(text)); }

  std::string server() const { return fmt::format("{}:{}", facts_.url.host, facts_.url.port); }
  std::string subject() const { return facts_.local ? facts_.local->summary.subject : std::string("(none)"); }

  void unusable() {
    set(Outcome::ClientCertUnusable, "local", facts_.unusable->first,
        facts_.unusable->second.empty() ? "check --cert, --key and the password flags"
                                        : facts_.unusable->second);
  }

  void connect_failed() {
    const ConnectFailure& failure = *facts_.connect_failure;
    std::string fix;
    if (failure.what == "connection refused") {
      fix = fmt::format(
          "nothing listens on port {}: start the server (krtool serve --port {}) or correct the URL's port",
          facts_.url.port, facts_.url.port);
    } else if (failure.what == "could not resolve") {
      fix = fmt::format("check the host name, or map it to an address with --resolve {}:{}:127.0.0.1",
                        facts_.url.host, facts_.url.port);
    } else if (failure.what == "timed out") {
      fix = "check the address and any firewall in between, or allow more time with --timeout SECONDS";
    } else {
      fix = "check the address and the network";
    }
    set(Outcome::ConnectFailed, "tcp",
        fmt::format("{} connecting to {}: {}", failure.what, server(), failure.detail), fix);
  }

  bool looks_like_plain_http() const {
    return facts_.first_bytes.rfind("HTTP/", 0) == 0 || !facts_.plain_http_answer.empty();
  }
  bool looks_like_other_protocol() const { return !looks_like_tls_record(facts_.first_bytes); }

  void handshake_failed() {
    const std::optional<Alert>& alert = tls_.alert;
    if (alert && !alert->from_server) {
      if (!tls_.server_verify_error.empty()) return server_untrusted();
      return set(Outcome::HandshakeFailed, "tls",
                 fmt::format("krtool ended the handshake with alert {} {}: {}", alert->code, alert->name,
                             tls_.failure),
                 "run with -v to see the handshake, and compare the server's TLS settings with --tls-max");
    }
    if (!alert && (looks_like_plain_http() || looks_like_other_protocol() || facts_.bytes_received == 0) &&
        !(facts_.handshake_timed_out && facts_.bytes_received == 0 && facts_.plain_http_answer.empty())) {
      return not_tls();
    }
    if (facts_.handshake_timed_out) {
      return set(
          Outcome::ConnectFailed, "tcp",
          facts_.bytes_received == 0
              ? fmt::format(
                    "timed out waiting for the TLS handshake: {} accepted the connection but never answered "
                    "the ClientHello",
                    server())
              : fmt::format("timed out in the middle of the TLS handshake with {}", server()),
          "check that the port speaks TLS, or allow more time with --timeout SECONDS");
    }
    tls_rejection();
  }

  void not_tls() {
    std::string how;
    if (facts_.first_bytes.rfind("HTTP/", 0) == 0) {
      how = fmt::format("it answered the TLS ClientHello in plain HTTP{}",
                        facts_.plain_http_answer.empty()
                            ? ""
                            : "; a plain HTTP request gets '" + facts_.plain_http_answer + "'");
    } else if (!facts_.plain_http_answer.empty()) {
      const std::string answered =
          facts_.bytes_received > 0
              ? fmt::format("its answer to the TLS ClientHello is not a TLS record ({})",
                            "'" + util::escape_controls(facts_.first_bytes.substr(0, 16)) + "'")
          : facts_.handshake_timed_out
              ? "it never answered the TLS ClientHello (as a plain HTTP server that waits for a line end)"
              : "it closed the connection on the TLS ClientHello";
      how = fmt::format("{}, and a plain HTTP request gets '{}'", answered, facts_.plain_http_answer);
    } else if (facts_.bytes_received > 0) {
      how = "its first bytes are not a TLS record";
    } else {
      how = "it closed the connection without a TLS answer";
    }
    set(Outcome::NotTls, "tls", fmt::format("{} does not speak TLS: {}", server(), how),
        fmt::format("for a plain HTTP server use http://{}{}; otherwise use the server's HTTPS port "
                    "(krtool serve speaks HTTPS only with --cert FILE or --self-signed)",
                    facts_.url.authority, facts_.url.target));
  }

  // server_problems lists every problem the chain engine found with the server's certificate (the
  // handshake stopped at the first), or the reason it could not be checked at all.
  std::string server_problems() const {
    std::vector<std::string> found;
    for (const cert::ChainProblem& problem : tls_.server_chain_problems)
      found.push_back(cert::to_string(problem));
    return found.empty() ? tls_.server_verify_error : fmt::format("{}", fmt::join(found, "; "));
  }

  // server_untrusted names every problem, and a fix for each kind: a name the certificate lacks, a
  // validity period that does not cover now, an issuer or a chain krtool does not trust.
  void server_untrusted() {
    const std::vector<cert::ChainProblem>& problems = tls_.server_chain_problems;
    const std::string certificate =
        tls_.server_certificate ? fmt::format("'{}' (issued by '{}')", tls_.server_certificate->subject,
                                              tls_.server_certificate->issuer)
                                : std::string("(none)");
    const auto any = [&](auto kind) { return std::any_of(problems.begin(), problems.end(), kind); };
    const auto is_name_mismatch = [](const cert::ChainProblem& problem) {
      return problem.error == X509_V_ERR_HOSTNAME_MISMATCH || problem.error == X509_V_ERR_IP_ADDRESS_MISMATCH;
    };
    const auto is_out_of_time = [](const cert::ChainProblem& problem) {
      return problem.error == X509_V_ERR_CERT_HAS_EXPIRED || problem.error == X509_V_ERR_CERT_NOT_YET_VALID;
    };
    std::vector<std::string> fixes;
    if (any(is_name_mismatch)) {
      fixes.push_back(fmt::format(
          "call the server by a name its certificate holds, or give that name with --servername NAME "
          "(and --resolve NAME:{}:ADDRESS); a krtool --development or --self-signed certificate names "
          "localhost, 127.0.0.1 and ::1",
          facts_.url.port));
    }
    if (any(is_out_of_time)) {
      fixes.push_back(
          "renew the server's certificate (or, if it should be valid now, check this machine's clock)");
    }
    if (problems.empty() || any([&](const cert::ChainProblem& problem) {
          return !is_name_mismatch(problem) && !is_out_of_time(problem);
        })) {
      fixes.push_back(
          "trust the server's issuer with --cacert FILE (for krtool serve --self-signed, start it with "
          "--export-root FILE and pass that file), or skip the check with -k for development only");
    }
    set(Outcome::ServerCertUntrusted, "tls",
        fmt::format("krtool could not verify the server's certificate {}: {}", certificate,
                    server_problems()),
        fmt::format("{}", fmt::join(fixes, "; and ")));
  }

  // tls_rejection covers a handshake (or, under TLS 1.3, its aftermath) that the server ended.
  void tls_rejection() {
    const std::optional<Alert>& alert = tls_.alert;
    const bool late = alert ? alert->after_handshake : facts_.verdict_failed || tls_.handshake_completed;
    const std::string when = late ? " after the handshake (TLS 1.3 delivers the server's verdict on the "
                                    "client certificate with the first read)"
                                  : "";
    if (tls_.client_certificate_sent) return certificate_rejected(when);
    if (tls_.client_certificate_requested) return certificate_required(when);
    handshake_refused();
  }

  // A problem test-client can see itself in the certificate it sent, without the server's word: against
  // the CertificateRequest's CA names, the clock and the extended key usage.
  struct VisibleProblem {
    std::string what;
    std::string fix;
  };

  std::vector<VisibleProblem> visible_problems() {
    std::vector<VisibleProblem> problems;
    if (!facts_.local) return problems;
    const LocalCertificate& local = *facts_.local;
    const std::string self_signed = local.summary.self_signed ? " (self-signed)" : "";
    if (tls_.issuer_acceptable == false) {
      problems.push_back(
          {fmt::format("its issuer '{}'{} is not among the CAs the server named as acceptable ({})",
                       local.summary.issuer, self_signed, quoted_list(tls_.acceptable_cas)),
           fmt::format("present a certificate issued by {}, or make the server trust '{}' ({})",
                       quoted_list(tls_.acceptable_cas), local.summary.issuer, kServerTrustSettings)});
    } else if (!tls_.issuer_acceptable.has_value() && local.summary.self_signed) {  // the server named no CA
      problems.push_back(
          {"it is self-signed, which a server accepts only when it trusts that very certificate",
           fmt::format("trust the certificate on the server ({}), or present one issued by a CA the server "
                       "trusts",
                       kServerTrustSettings)});
    }
    if (local.expired || local.not_yet_valid) {
      named_validity_ = true;
      problems.push_back(
          {local.expired ? fmt::format("it expired on {}", local.summary.not_after) : "it is not valid yet",
           "make a new certificate (krtool new-selfsigned --purpose client ...), or check the "
           "clocks"});
    }
    if (!local.client_auth_usable) {
      named_usage_ = true;
      problems.push_back(
          {fmt::format("its extended key usage is {}, without Client Authentication",
                       quoted_list(local.purposes)),
           "make it with the clientAuth extended key usage (krtool new-selfsigned --purpose client)"});
    }
    return problems;
  }

  void certificate_rejected(const std::string& when) {
    const LocalCertificate* local = facts_.local ? &*facts_.local : nullptr;
    const std::string issuer = local ? local->summary.issuer : std::string("?");
    const bool self_signed = local && local->summary.self_signed;
    const int code = tls_.alert ? tls_.alert->code : 0;
    std::string why, fix;
    // The alerts an OpenSSL-based server (krtool serve, nginx, Apache, HAProxy, stunnel, s_server) sends
    // name the reason; they are taken at their word.
    switch (code) {
      case 48:  // unknown_ca
        why = fmt::format("it does not trust the issuer '{}'{}", issuer, self_signed ? " (self-signed)" : "");
        fix =
            self_signed
                ? "trust the certificate on the server (krtool serve --trust-ca FILE; nginx "
                  "ssl_client_certificate; "
                  "openssl s_server -CAfile), or for development use --client-cert-validation "
                  "AllowSelfSignedForDevelopment"
                : fmt::format(
                      "trust the issuer on the server (krtool serve --trust-ca FILE with '{}'), or present a "
                      "certificate issued by a CA it accepts ({})",
                      issuer, quoted_list(tls_.acceptable_cas));
        break;
      case 45:  // certificate_expired
        named_validity_ = true;
        why = local && local->not_yet_valid
                  ? "the certificate is not valid yet"
                  : fmt::format("the certificate or its chain is outside its validity period{}",
                                local ? " (valid until " + local->summary.not_after + ")" : "");
        fix = "make a new certificate (krtool new-selfsigned --purpose client ...), or check the clocks";
        break;
      case 44:  // certificate_revoked
        why =
            "the server found it revoked (its issuer's CRL or OCSP responder says so; serve's log names "
            "which)";
        fix = "use a certificate that is not revoked, or check that the server's --crl is the current one";
        break;
      case 43:  // unsupported_certificate
        named_usage_ = true;
        why = fmt::format("the certificate is not meant for client authentication (extended key usage {})",
                          local ? quoted_list(local->purposes) : std::string("unknown"));
        fix = "make it with the clientAuth extended key usage (krtool new-selfsigned --purpose client)";
        break;
      case 51:  // decrypt_error
        why = "the signature that proves possession of the key did not verify";
        fix = "check that --key belongs to --cert";
        break;
      default:
        // bad_certificate (Go, Caddy, and krtool serve's validation callbacks), certificate_unknown (Java)
        // or no alert at all (Node) say only "no": what test-client sees wrong comes first.
        return unspecific_rejection(when);
    }
    set(Outcome::ClientCertRejected, "tls", rejection_cause(when, why), fix);
  }

  std::string rejection_cause(const std::string& when, const std::string& why) const {
    return fmt::format(
        "the server's TLS layer rejected the certificate '{}' ({}){}: {}", subject(),
        tls_.alert ? fmt::format("alert {} {}", tls_.alert->code, tls_.alert->name) : "no alert", when, why);
  }

  void unspecific_rejection(const std::string& when) {
    const int code = tls_.alert ? tls_.alert->code : 0;
    std::string said;
    if (code == 42) {
      said =
          "bad_certificate is what Go and Caddy answer for any certificate they cannot verify, and what "
          "krtool serve answers when its validation callback says no";
    } else if (code == 46) {
      said = "certificate_unknown is what Java answers for any certificate it cannot verify";
    } else if (code == 0) {
      said = "servers such as Node close the connection without an alert when they refuse a certificate";
    } else {
      said = "the alert gives no more detail";
    }
    const std::vector<VisibleProblem> problems = visible_problems();
    if (!problems.empty()) {
      std::string why, fix;
      for (const VisibleProblem& problem : problems) {
        why += (why.empty() ? "" : "; and ") + problem.what;
        fix += (fix.empty() ? "" : "; also ") + problem.fix;
      }
      return set(Outcome::ClientCertRejected, "tls", rejection_cause(when, fmt::format("{} ({})", why, said)),
                 fix);
    }
    std::string why = fmt::format(
        "nothing test-client can see is wrong with it (it is valid now{}, and allows client authentication), "
        "so a check of the server's own said no ({})",
        tls_.issuer_acceptable == true ? ", its issuer is among the CAs the server named" : "", said);
    std::string fix;
    if (code == 42) {
      why +=
          "; under krtool serve, its validation callback refused the certificate, even though it may chain "
          "correctly (--client-cert-validation or validation code)";
      fix =
          "read the reason in the server's log (krtool serve: the 'tls: rejected client certificate ... by "
          "POLICY' line), then change the certificate or the server's policy";
    } else {
      fix = "read the reason in the server's log; run with -v to see the handshake";
    }
    set(Outcome::ClientCertRejected, "tls", rejection_cause(when, why), fix);
  }

  void certificate_required(const std::string& when) {
    std::string cause = fmt::format(
        "the server requires a client certificate and none was sent; it ended the connection {}{}",
        alert_text(tls_.alert), when);
    if (facts_.local) {
      cause += fmt::format(
          " (krtool held '{}' but OpenSSL found no signature algorithm that both it and the server accept)",
          facts_.local->summary.subject);
    }
    set(Outcome::ClientCertRequired, "tls", cause,
        fmt::format(
            "give --cert FILE (with --key FILE for PEM); the server accepts certificates issued by {}",
            tls_.acceptable_cas.empty() ? std::string("any CA it trusts (it named none)")
                                        : quoted_list(tls_.acceptable_cas)));
  }

  void handshake_refused() {
    const int code = tls_.alert ? tls_.alert->code : 0;
    std::string why, fix;
    if (code == 70) {
      why = fmt::format("no TLS version in common (krtool offered TLS 1.2{})",
                        facts_.tls_max == "1.2" ? " only" : " and 1.3");
      fix = "allow a version the server speaks (--tls-max, or the server's --ssl-protocols)";
    } else if (code == 40 || code == 71) {
      why = "no cipher suite or signature algorithm in common";
      fix = "compare the server's TLS settings with what krtool offers (run with -v)";
    } else if (code == 112) {
      why = "the server does not know the name krtool asked for (SNI)";
      fix = "give the name the server expects with --servername NAME";
    } else {
      why = code == 0 ? "it closed the connection" : "the server gave no more detail than the alert";
      fix = "look at the server's log; run with -v to see the handshake";
    }
    set(Outcome::HandshakeFailed, "tls",
        fmt::format("the TLS handshake with {} failed {} before any client certificate was asked for: {}",
                    server(), alert_text(tls_.alert), why),
        fix);
  }

  void no_response() {
    const ExchangeResult& exchange = *facts_.exchange;
    if (tls_.alert && tls_.alert->from_server) return tls_rejection();
    if (exchange.stage == ExchangeStage::Malformed) {
      return set(Outcome::HttpStatus, "http",
                 fmt::format("{} answered, but not in HTTP: {}", server(), exchange.failure),
                 "check that the URL points at an HTTP server");
    }
    if (!exchange.timed_out && facts_.url.tls && tls_.protocol == "TLSv1.3" &&
        tls_.client_certificate_requested && !tls_.server_accepted) {
      return tls_rejection();  // a TLS 1.3 verdict whose alert was lost to the connection's reset
    }
    if (!facts_.url.tls) {
      return set(
          Outcome::ConnectFailed, "tcp",
          fmt::format("{} gave no HTTP answer: {}", server(), exchange.failure),
          fmt::format("if the port speaks TLS, use https://{}{}", facts_.url.authority, facts_.url.target));
    }
    set(Outcome::ConnectFailed, "tcp",
        fmt::format("no HTTP response from {}: {}", server(), exchange.failure),
        exchange.timed_out ? "allow more time with --timeout SECONDS, or look at the server's log"
                           : "look at the server's log");
  }

  bool status_expected() const {
    const int status = report_.http.status;
    return facts_.expect_status ? status == *facts_.expect_status : status >= 200 && status < 300;
  }
  std::string expectation() const {
    return facts_.expect_status ? fmt::format("{}", *facts_.expect_status) : std::string("any 2xx");
  }

  void http_response() {
    const HttpReport& http = report_.http;
    const std::string status = fmt::format("{} {}", http.status, http.reason);
    if (status_expected()) {
      if (facts_.exchange && facts_.exchange->stage == ExchangeStage::Incomplete) {
        return set(Outcome::HttpStatus, "http",
                   fmt::format("the server answered {} but the body did not arrive whole: {}", status,
                               facts_.exchange->failure),
                   "look at the server's log");
      }
      return set(Outcome::Ok, "http",
                 fmt::format("the server answered {} (expected {})", status, expectation()), "");
    }
    if (http.status == 400 && http.body.find("No required SSL certificate was sent") != std::string::npos) {
      return set(
          Outcome::ClientCertRequired, "tls",
          "the server (nginx, ssl_verify_client on) requires a client certificate and none was sent; nginx "
          "says so "
          "with '400 No required SSL certificate was sent' rather than by failing the handshake",
          fmt::format("give --cert FILE (with --key FILE for PEM); nginx accepts certificates issued by {}",
                      quoted_list(tls_.acceptable_cas)));
    }
    if (http.status == 400 && http.body.find("The SSL certificate error") != std::string::npos) {
      return nginx_rejected();
    }
    if (http.status == 400 &&
        http.body.find("plain HTTP request was sent to HTTPS port") != std::string::npos) {
      return set(Outcome::HttpStatus, "http",
                 fmt::format("{} speaks HTTPS, and the request went in plain HTTP", server()),
                 fmt::format("use https://{}{}", facts_.url.authority, facts_.url.target));
    }
    if (http.status == 401) return unauthorized();
    if (http.status == 403) return forbidden();
    std::string fix = "look at the server's log";
    if (http.status == 404)
      fix =
          "check the path; krtool serve's default routes are GET /info, /secure/cert/hello and "
          "/secure/cert/info";
    if (http.status == 405) fix = "check the method (-X)";
    if (http.status >= 200 && http.status < 400)
      fix = fmt::format("if {} is right, say so with --expect-status {}", http.status, http.status);
    set(Outcome::HttpStatus, "http",
        fmt::format("the server answered {}, expected {}", status, expectation()), fix);
  }

  void nginx_rejected() {
    std::string why;
    const LocalCertificate* local = facts_.local ? &*facts_.local : nullptr;
    if (tls_.issuer_acceptable == false && local && tls_.client_certificate_sent) {
      why = fmt::format(": its issuer '{}' is not among the CAs nginx accepts ({})", local->summary.issuer,
                        quoted_list(tls_.acceptable_cas));
    } else if (local && (local->expired || local->not_yet_valid)) {
      why = ": it is outside its validity period";
    } else if (local && !local->client_auth_usable) {
      why = ": it lacks the clientAuth extended key usage";
    }
    set(Outcome::ClientCertRejected, "tls",
        fmt::format("the server (nginx) could not verify the certificate '{}' and answered '400 The SSL "
                    "certificate error'{}; "
                    "nginx's error log has the exact reason",
                    subject(), why),
        fmt::format(
            "add the certificate's issuer to nginx's ssl_client_certificate (or ssl_trusted_certificate), or "
            "present a certificate issued by {}",
            quoted_list(tls_.acceptable_cas)));
  }

  // certificate_story says what happened to the client certificate at the TLS layer, for a 401 or 403.
  std::string certificate_story() const {
    if (!facts_.url.tls)
      return "the request went over plain HTTP, where no client certificate can be presented";
    if (!tls_.client_certificate_requested)
      return "the TLS layer did not ask for a client certificate and none was sent";
    if (!tls_.client_certificate_sent)
      return "the TLS layer asked for a client certificate and none was sent";
    return fmt::format("the TLS layer asked for a client certificate and accepted '{}'", subject());
  }

  // forbidden explains a 403: with krtool serve --diagnostics, Krtool-Auth-Failure names the policy and
  // the rule that failed ("policy ops: subject O=Acme: the certificate's subject has O=Other").
  void forbidden() {
    const std::string* reason = find_header(report_.http, "Krtool-Auth-Failure");
    if (reason != nullptr && !reason->empty()) {
      return set(
          Outcome::HttpStatus, "http",
          fmt::format("403 Forbidden: the client was authenticated but not authorized: {}; {}", *reason,
                      certificate_story()),
          "present a certificate that passes the policy, or change the policy's rule (krtool policy test "
          "CERT --config FILE --route 'METHOD PATH' shows every rule's verdict)");
    }
    set(Outcome::HttpStatus, "http",
        fmt::format("403 Forbidden: an authorization policy refused the request; {}", certificate_story()),
        "check the route's authorization policy on the server (krtool serve --diagnostics names the rule "
        "that "
        "failed in a Krtool-Auth-Failure header)");
  }

  void unauthorized() {
    const HttpReport& http = report_.http;
    const std::string* reason = find_header(http, "Krtool-Auth-Failure");
    const std::string* challenge = find_header(http, "WWW-Authenticate");
    if (challenge != nullptr && !challenge->empty()) {
      const std::string scheme = challenge->substr(0, challenge->find(' '));
      if (lower(scheme) != "certificate") {
        return set(
            Outcome::HttpStatus, "http",
            fmt::format(
                "401 Unauthorized: the server asks for '{}' authentication (WWW-Authenticate: {}), not "
                "(only) a client certificate; {}",
                scheme, *challenge, certificate_story()),
            fmt::format("send the credentials the {} scheme expects, e.g. -H 'Authorization: {} ...'", scheme,
                        scheme));
      }
    }
    if (!facts_.url.tls) {
      return set(
          Outcome::HttpStatus, "http",
          "401 Unauthorized: the request went over plain HTTP, where no client certificate can be presented",
          fmt::format(
              "call the server's HTTPS endpoint (https://...); krtool serve speaks HTTPS with --cert FILE or "
              "--self-signed"));
    }
    if (!tls_.client_certificate_requested) {
      return set(Outcome::HttpStatus, "http",
                 "401 Unauthorized: the route needs a client certificate, but the server's TLS layer never "
                 "asked for one, "
                 "so none could be sent",
                 "let the TLS layer ask: krtool serve --client-cert-mode allow or require (Kestrun: "
                 "-ClientCertificateMode AllowCertificate or RequireCertificate)");
    }
    if (!tls_.client_certificate_sent) {
      return set(Outcome::HttpStatus, "http",
                 "401 Unauthorized: the server asked for a client certificate and none was sent; its TLS "
                 "layer allowed "
                 "that, but the route's authentication scheme needs one",
                 "give --cert FILE (with --key FILE for PEM)");
    }
    std::string cause = fmt::format(
        "401 Unauthorized: the TLS layer accepted the certificate '{}', but the HTTP authentication scheme "
        "refused it",
        subject());
    if (reason) cause += fmt::format(": {}", *reason);
    set(Outcome::HttpStatus, "http", cause, auth_fix(reason ? lower(*reason) : std::string()));
  }

  // auth_fix names the scheme option behind a refusal: from the server's stated reason when it gave one
  // (krtool serve --diagnostics), otherwise from what is visibly wrong with the certificate.
  std::string auth_fix(const std::string& reason) const {
    const LocalCertificate* local = facts_.local ? &*facts_.local : nullptr;
    const bool self_signed = local && local->summary.self_signed;
    if (reason.find("selfsigned") != std::string::npos || (reason.empty() && self_signed)) {
      return "the scheme accepts only chained certificates by default: present one issued by a CA, or allow "
             "self-signed ones (krtool serve --allowed-certificate-types all)";
    }
    if (reason.find("not allowed: chained") != std::string::npos) {
      return "the scheme accepts only self-signed certificates: --allowed-certificate-types chained or all";
    }
    if (reason.find("validity") != std::string::npos ||
        (reason.empty() && local && (local->expired || local->not_yet_valid))) {
      return "make a certificate that is valid now, or (development only) krtool serve "
             "--no-validate-validity-period";
    }
    if (reason.find("client authentication usage") != std::string::npos ||
        (reason.empty() && local && !local->client_auth_usable)) {
      return "make the certificate with the clientAuth extended key usage (krtool new-selfsigned --purpose "
             "client), or "
             "krtool serve --no-validate-certificate-use";
    }
    // The reason ends with "[revocation: OCSP at URL, ...]" when the status was found: the source to check.
    if (reason.find("revoked:") != std::string::npos) {
      return "the certificate's issuer revoked it (the reason names the OCSP responder or CRL that says so): "
             "use a certificate that is not revoked";
    }
    if (reason.find("revocationstatusunknown") != std::string::npos) {
      return "give the scheme the issuer's CRL (--revocation-mode offline --crl FILE), or make the OCSP "
             "responder or CRL distribution point the certificate names reachable from the server, or, for "
             "development, --revocation-mode nocheck";
    }
    if (reason.find("chain") != std::string::npos) {
      return "the scheme's trust differs from the TLS layer's: give the issuer with --auth-trust-ca FILE";
    }
    return "the usual causes: the route names another scheme than the one that read the certificate "
           "(Kestrun: "
           "-AuthenticationScheme and -AuthorizationScheme must match), then in the scheme's order the "
           "certificate "
           "type (--allowed-certificate-types), the validity period, the clientAuth usage, the chain "
           "(--auth-trust-ca) and revocation (--revocation-mode, online by default); start krtool serve with "
           "--diagnostics to be told which";
  }

  const Facts& facts_;
  TestClientReport& report_;
  const TlsReport& tls_;
  bool named_validity_ = false;  // the cause already says the certificate is outside its validity
  bool named_usage_ = false;     // the cause already says it lacks clientAuth
};

}  // namespace

bool looks_like_tls_record(std::string_view first_bytes) {
  if (first_bytes.size() < 2) return true;
  const auto type = static_cast<unsigned char>(first_bytes[0]);
  return type >= 20 && type <= 24 && first_bytes[1] == 3;
}

void diagnose(const Facts& facts, TestClientReport& report) {
  Diagnoser diagnoser(facts, report);
  diagnoser.run();
  diagnoser.add_notes();
}

}  // namespace krtool::client
