// The contract's names for outcomes, their exit codes, and the --json document.
#include <fmt/format.h>

#include "krtool/client/test_client.hpp"
#include "krtool/error.hpp"

namespace krtool::client {

namespace {

struct OutcomeSpec {
  Outcome outcome;
  const char* name;
  int exit_code;  // the contract's: 0 ok, 1 a check failed, 3 bad input, 4 TLS, 5 network
};

constexpr OutcomeSpec kOutcomes[] = {
    {Outcome::Ok, "ok", 0},
    {Outcome::HttpStatus, "http-status", 1},
    {Outcome::ClientCertRequired, "client-cert-required", 4},
    {Outcome::ClientCertRejected, "client-cert-rejected", 4},
    {Outcome::ServerCertUntrusted, "server-cert-untrusted", 4},
    {Outcome::HandshakeFailed, "handshake-failed", 4},
    {Outcome::NotTls, "not-tls", 4},
    {Outcome::ClientCertUnusable, "client-cert-unusable", 3},
    {Outcome::ConnectFailed, "connect-failed", 5},
};

const OutcomeSpec& spec_of(Outcome outcome) {
  for (const OutcomeSpec& spec : kOutcomes) {
    if (spec.outcome == outcome) return spec;
  }
  throw Error(Errc::Internal, "an outcome without a name");
}

nlohmann::json certificate_json(const std::optional<CertificateSummary>& summary) {
  if (!summary) return nullptr;
  nlohmann::json out = cert::to_json(static_cast<const cert::Identity&>(*summary));
  out["isSelfSigned"] = summary->self_signed;
  return out;
}

nlohmann::json tls_json(const TlsReport& tls) {
  if (!tls.attempted) return nullptr;
  nlohmann::json server = certificate_json(tls.server_certificate);
  if (!server.is_null()) {
    server["verified"] = tls.server_certificate_verified;
    server["verifyError"] =
        tls.server_verify_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls.server_verify_error);
    nlohmann::json statuses = nlohmann::json::array();
    for (const cert::ChainProblem& problem : tls.server_chain_problems) {
      statuses.push_back({{"status", problem.status}, {"error", problem.error}, {"text", problem.text}});
    }
    server["chainStatus"] = std::move(statuses);
  }
  nlohmann::json alert = nullptr;
  if (tls.alert) {
    alert = {{"code", tls.alert->code},
             {"name", tls.alert->name},
             {"sentBy", tls.alert->from_server ? "server" : "client"},
             {"afterHandshake", tls.alert->after_handshake}};
  }
  return {{"handshakeCompleted", tls.handshake_completed},
          {"protocol", tls.protocol.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls.protocol)},
          {"cipher", tls.cipher.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls.cipher)},
          {"serverCertificate", server},
          {"clientCertificateRequested", tls.client_certificate_requested},
          {"acceptableCAs", tls.acceptable_cas},
          {"clientCertificate", certificate_json(tls.client_certificate)},
          {"clientCertificateSent", tls.client_certificate_sent},
          {"issuerAcceptable",
           tls.issuer_acceptable ? nlohmann::json(*tls.issuer_acceptable) : nlohmann::json(nullptr)},
          {"alert", alert},
          {"failure", tls.failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls.failure)}};
}

}  // namespace

std::string to_string(Outcome outcome) { return spec_of(outcome).name; }

int exit_code(Outcome outcome) { return spec_of(outcome).exit_code; }

nlohmann::json to_json(const TestClientReport& report) {
  nlohmann::json headers = nullptr;
  if (report.http.received) {
    headers = nlohmann::json::object();
    for (const auto& [name, value] : report.http.headers) {
      // Repeated fields join with ", " (RFC 9110 §5.3); the names keep the server's spelling.
      headers[name] = headers.contains(name) ? headers[name].get<std::string>() + ", " + value : value;
    }
  }
  const bool ok = report.outcome == Outcome::Ok;
  return {{"url", report.url},
          {"outcome", to_string(report.outcome)},
          {"exitCode", exit_code(report.outcome)},
          {"status", report.http.received ? nlohmann::json(report.http.status) : nlohmann::json(nullptr)},
          {"body", report.http.received ? nlohmann::json(report.http.body) : nlohmann::json(nullptr)},
          {"bodyTruncated", report.http.body_truncated},
          {"headers", headers},
          {"connectedTo",
           report.connected_to.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.connected_to)},
          {"diagnosis",
           {{"layer", report.diagnosis.layer},
            {"cause", report.diagnosis.cause},
            {"fix", ok || report.diagnosis.fix.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(report.diagnosis.fix)}}},
          {"notes", report.notes},
          {"tls", tls_json(report.tls)}};
}

}  // namespace krtool::client
