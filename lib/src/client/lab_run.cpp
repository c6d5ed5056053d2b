#include "krtool/client/lab_run.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "krtool/cert/lab.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::client {
namespace {

LabLayers expected_layers(const nlohmann::json& e) {
  LabLayers layers;
  layers.tls_accepted = e.value("tls", "") == "accepted";
  layers.alert = e["alert"].is_string() ? e["alert"].get<std::string>() : std::string();
  if (e["status"].is_number_integer()) layers.status = e["status"].get<int>();
  layers.outcome = e.value("outcome", "");
  return layers;
}

LabLayers actual_layers(const TestClientReport& report) {
  LabLayers layers;
  layers.alert = report.tls.alert && report.tls.alert->from_server ? report.tls.alert->name : std::string();
  layers.tls_accepted = report.http.received || (report.tls.handshake_completed && layers.alert.empty());
  if (report.http.received) layers.status = report.http.status;
  layers.outcome = to_string(report.outcome);
  return layers;
}

std::string layers_text(const LabLayers& layers) {
  std::string text = layers.tls_accepted ? "TLS accepted" : "TLS alert " + layers.alert;
  if (!layers.tls_accepted && layers.alert.empty()) text = "TLS refused";
  if (layers.status) text += fmt::format(", HTTP {}", *layers.status);
  return text;
}

// explain says which layer decided differently from the expectation and what that means about the
// server; `row.expected_why` is the manifest's reason for the expectation.
std::string explain(const LabRow& row, const std::string& profile) {
  const LabLayers& e = row.expected;
  const LabLayers& a = row.actual;
  const std::string outcome = a.outcome;
  if (outcome == "connect-failed" || outcome == "not-tls" || outcome == "server-cert-untrusted" ||
      outcome == "client-cert-unusable" || outcome == "handshake-failed") {
    return fmt::format("the client could not test the server ({}): {}", outcome, row.diagnosis);
  }
  if (!e.tls_accepted && a.tls_accepted) {
    return fmt::format(
        "the TLS layer accepted a certificate a {} server refuses with {} ({}); the HTTP layer then answered "
        "{}. The server does not fail the handshake on a bad client certificate: it runs a relaxed "
        "validation callback (--client-cert-validation AllowAny or a development one), or verifies "
        "later (nginx ssl_verify_client optional_no_ca){}",
        profile, e.alert, row.expected_why, a.status ? std::to_string(*a.status) : std::string("nothing"),
        a.status && *a.status < 300 ? ". The route let it in: anyone holding such a certificate gets through"
                                    : "");
  }
  if (e.tls_accepted && !a.tls_accepted) {
    if (e.status && *e.status < 300) {
      return fmt::format(
          "the TLS layer refused a good certificate (alert {}): the server does not trust the lab's root "
          "(serve --trust-ca ca/root.pem), lacks the lab's CRLs while checking revocation (--crl), or "
          "does not send its chain",
          a.alert.empty() ? std::string("none") : a.alert);
    }
    return fmt::format(
        "the TLS layer refused it (alert {}) where a {} server lets the handshake through and answers {} "
        "at the HTTP layer: the server is stricter at the handshake than the profile says; compare "
        "with --server-profile strict",
        a.alert.empty() ? std::string("none") : a.alert, profile, e.status ? std::to_string(*e.status) : "");
  }
  if (!e.tls_accepted && !a.tls_accepted) {
    return fmt::format(
        "both refuse at the TLS layer, but with alert {} instead of {}: the server maps the chain error "
        "differently (it decides the same; clients show a different message)",
        a.alert.empty() ? std::string("none") : a.alert, e.alert);
  }
  if (e.status && a.status && *e.status != *a.status) {
    if (*a.status < 300) {
      return fmt::format(
          "the HTTP layer answered {} where {} was expected ({}): the route is not protected by the "
          "certificate scheme, or the scheme does not check this (allowed certificate types, revocation "
          "mode, certificate use, validity period)",
          *a.status, *e.status, row.expected_why);
    }
    return fmt::format("the HTTP layer answered {} where {} was expected ({}): {}", *a.status, *e.status,
                       row.expected_why, row.diagnosis);
  }
  return fmt::format("expected {} ({}), got {}", e.outcome, layers_text(e), layers_text(a));
}

}  // namespace

bool LabRun::all_passed() const {
  return std::all_of(rows.begin(), rows.end(), [](const LabRow& row) { return row.pass; });
}

bool LabRun::unreachable() const {
  return !rows.empty() && std::all_of(rows.begin(), rows.end(), [](const LabRow& row) {
    return row.actual.outcome == "connect-failed" || row.actual.outcome == "not-tls";
  });
}

LabRun run_lab(const LabRunOptions& options) {
  const nlohmann::json manifest = cert::load_lab_manifest(options.dir);
  const std::vector<std::string> profiles = manifest.value("profiles", std::vector<std::string>{});
  const auto known = std::find_if(profiles.begin(), profiles.end(), [&](const std::string& p) {
    return util::equals_ignoring_case(p, options.profile);
  });
  if (known == profiles.end()) {
    throw Error(Errc::Usage, fmt::format("--server-profile: unknown profile '{}'", options.profile),
                fmt::format("choose one of {}", fmt::join(profiles, ", ")));
  }
  LabRun run;
  run.url = options.url;
  run.profile = *known;
  const std::string password = manifest.value("password", "");
  for (const nlohmann::json& client : manifest["clients"]) {
    LabRow row;
    row.name = client.value("name", "");
    row.purpose = client.value("purpose", "");
    row.subject = client.value("subject", "");
    const nlohmann::json& expected = client["expected"][run.profile];
    row.expected = expected_layers(expected);
    row.expected_why = expected.value("why", "");

    TestClientOptions call;
    call.url = options.url;
    call.cert_file = options.dir / client["files"]["certificate"].get<std::string>();
    call.key_file = options.dir / client["files"]["key"].get<std::string>();
    call.password = password;
    if (!options.cacert_file.empty()) {
      call.cacert_file = options.cacert_file;
    } else if (!options.insecure) {
      call.cacert_file = options.dir / manifest["root"]["files"]["certificate"].get<std::string>();
    }
    call.insecure = options.insecure;
    call.timeout = options.timeout;
    row.report = run_test_client(call);
    row.actual = actual_layers(row.report);
    row.diagnosis = row.report.diagnosis.cause;
    if (row.actual.outcome == "client-cert-unusable" &&
        row.diagnosis.find("too small") != std::string::npos) {
      row.skipped = true;
      row.pass = true;
      row.mismatch = fmt::format(
          "not sent: this machine's OpenSSL refuses to use the key ({}); try it with curl --ciphers "
          "'DEFAULT@SECLEVEL=0' or openssl s_client -cipher 'DEFAULT@SECLEVEL=0'",
          row.diagnosis);
      run.rows.push_back(std::move(row));
      continue;
    }
    row.pass = row.actual.outcome == row.expected.outcome && row.actual.alert == row.expected.alert &&
               row.actual.status == row.expected.status;
    if (!row.pass) row.mismatch = explain(row, run.profile);
    run.rows.push_back(std::move(row));
  }
  return run;
}

nlohmann::json to_json(const LabRun& run) {
  const auto layers = [](const LabLayers& l) {
    return nlohmann::json{{"tls", l.tls_accepted ? "accepted" : "rejected"},
                          {"alert", l.alert.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.alert)},
                          {"status", l.status ? nlohmann::json(*l.status) : nlohmann::json(nullptr)},
                          {"outcome", l.outcome}};
  };
  nlohmann::json document{{"url", run.url}, {"profile", run.profile}, {"passed", run.all_passed()}};
  document["clients"] = nlohmann::json::array();
  for (const LabRow& row : run.rows) {
    nlohmann::json entry{
        {"name", row.name},
        {"purpose", row.purpose},
        {"subject", row.subject},
        {"pass", row.pass},
        {"expected", layers(row.expected)},
        {"actual", layers(row.actual)},
        {"diagnosis", {{"cause", row.report.diagnosis.cause}, {"fix", row.report.diagnosis.fix}}}};
    entry["expected"]["why"] = row.expected_why;
    if (!row.pass || row.skipped) entry["mismatch"] = row.mismatch;
    document["clients"].push_back(std::move(entry));
  }
  return document;
}

}  // namespace krtool::client
