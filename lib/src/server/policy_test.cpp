#include "krtool/server/policy_test.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/server/build_server.hpp"
#include "server/pipeline.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

std::string outcome_name(auth::AuthResult::Outcome outcome) {
  switch (outcome) {
    case auth::AuthResult::Outcome::Success:
      return "success";
    case auth::AuthResult::Outcome::Failure:
      return "failure";
    case auth::AuthResult::Outcome::NoResult:
      break;
  }
  return "noResult";
}

std::string scheme_text(const SchemeVerdict& scheme) {
  switch (scheme.result.outcome) {
    case auth::AuthResult::Outcome::Success:
      return fmt::format("success: {}", scheme.result.principal.name);
    case auth::AuthResult::Outcome::Failure:
      return fmt::format("failed: {}", scheme.result.failure);
    case auth::AuthResult::Outcome::NoResult:
      break;
  }
  return "no result: no certificate reached it";
}

std::string route_listing(const Route& route) {
  return fmt::format("{} {}{}{}{}", route.method, route.path, route.prefix ? "*" : "",
                     route.scheme.empty() ? " (public)" : " auth=" + route.scheme,
                     route.policy.empty() ? "" : " policy=" + route.policy);
}

}  // namespace

PolicyTestRequest parse_policy_test_route(std::string_view text, std::string_view flag) {
  std::istringstream words{std::string(text)};
  PolicyTestRequest request;
  std::string extra;
  words >> request.method >> request.path >> extra;
  if (request.path.empty() || request.path.front() != '/' || !extra.empty()) {
    throw Error(Errc::Usage, fmt::format("{} '{}' is not 'METHOD PATH'", flag, text),
                fmt::format("write {} 'GET /secure/cert/hello'", flag));
  }
  request.method = util::upper(request.method);
  return request;
}

PolicyTestReport run_policy_test(const ServeConfig& config, X509* certificate, STACK_OF(X509) * chain,
                                 const PolicyTestRequest& request, const PasswordPrompt& prompt) {
  PolicyTestReport report;
  report.subject = cert::format_dn(X509_get_subject_name(certificate));
  report.issuer = cert::format_dn(X509_get_issuer_name(certificate));
  report.thumbprint = cert::thumbprint(certificate);

  // The dry run logs nothing: its verdicts are the report.
  const TlsLayer tls_layer = build_tls_layer(config, prompt, [](const std::string&) {});
  X509* reaching_http = nullptr;
  if (tls_layer.config) {
    const tls::ClientCertMode mode = tls_layer.config->options().mode;
    report.tls_mode = tls::to_string(mode);
    report.certificate_requested = mode != tls::ClientCertMode::None;
    if (report.certificate_requested) {
      report.tls = tls_layer.config->decide(certificate, chain);
      report.reaches_http = report.tls->accepted;
      if (report.reaches_http) reaching_http = certificate;
    }
  }

  const AuthLayer auth = build_auth_schemes(config);
  const auth::Principal* principal = nullptr;
  for (const auto& scheme : auth.schemes) {
    report.schemes.push_back({scheme->name(), scheme->authenticate(reaching_http, chain)});
  }
  for (const SchemeVerdict& scheme : report.schemes) {
    if (scheme.result.outcome == auth::AuthResult::Outcome::Success) {
      principal = &scheme.result.principal;
      break;
    }
  }
  const PolicySet policies = build_policies(config);
  const RouteTable routes =
      build_routes(config, auth.schemes.front()->name(),
                   fmt::format("https://{}:{}", config.address, config.port.value_or(5000)));
  const RequestPipeline pipeline(routes.routes, auth.schemes, false, policies.policies);

  if (request.method.empty()) {
    const auth::Principal none;
    for (const auto& policy : policies.policies) {
      report.policies.push_back(policy->evaluate(reaching_http, principal != nullptr ? *principal : none));
    }
    report.allowed = reaching_http != nullptr && principal != nullptr &&
                     std::all_of(report.policies.begin(), report.policies.end(),
                                 [](const auth::PolicyVerdict& verdict) { return verdict.authorized(); });
    return report;
  }

  RouteVerdict route;
  route.method = request.method;
  route.path = request.path;
  const bool handshake_fails = report.tls && !report.tls->accepted;
  if (handshake_fails) {
    route.verdict = "the TLS handshake fails: no request is made";
  } else {
    const AccessDecision decision = pipeline.decide(request.method, request.path, reaching_http, chain);
    route.status = decision.status;
    route.verdict = decision.verdict;
    route.reaches_handler = decision.status == 0;
    if (decision.route != nullptr) route.route = route_listing(*decision.route);
    if (decision.policy) report.policies.push_back(*decision.policy);
  }
  report.allowed = route.reaches_handler;
  report.route = std::move(route);
  return report;
}

nlohmann::json PolicyTestReport::to_json() const {
  nlohmann::json j;
  j["certificate"] = {{"subject", subject}, {"issuer", issuer}, {"thumbprint", thumbprint}};
  nlohmann::json layer = {{"mode", tls_mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls_mode)},
                          {"certificateRequested", certificate_requested},
                          {"reachesHttp", reaches_http}};
  if (tls) {
    layer["accepted"] = tls->accepted;
    layer["decidedBy"] = tls->decided_by;
    layer["sslPolicyErrors"] = krtool::to_string(tls->errors);
    layer["reasons"] = tls->reasons;
    layer["summary"] = tls->summary();
  }
  j["tls"] = layer;
  j["schemes"] = nlohmann::json::array();
  for (const SchemeVerdict& scheme : schemes) {
    nlohmann::json s = {{"name", scheme.name}, {"outcome", outcome_name(scheme.result.outcome)}};
    if (scheme.result.outcome == auth::AuthResult::Outcome::Failure) s["failure"] = scheme.result.failure;
    if (scheme.result.outcome == auth::AuthResult::Outcome::Success)
      s["principal"] = scheme.result.principal.name;
    j["schemes"].push_back(s);
  }
  j["policies"] = nlohmann::json::array();
  for (const auth::PolicyVerdict& policy : policies) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auth::RuleVerdict& rule : policy.rules) {
      rules.push_back({{"rule", rule.rule}, {"passed", rule.passed}, {"detail", rule.detail}});
    }
    j["policies"].push_back(
        {{"name", policy.policy},
         {"authorized", policy.authorized()},
         {"failure", policy.authorized() ? nlohmann::json(nullptr) : nlohmann::json(policy.failure())},
         {"rules", rules}});
  }
  if (route) {
    j["route"] = {{"method", route->method},
                  {"path", route->path},
                  {"matched", route->route.empty() ? nlohmann::json(nullptr) : nlohmann::json(route->route)},
                  {"status", route->status == 0 ? nlohmann::json(nullptr) : nlohmann::json(route->status)},
                  {"reachesHandler", route->reaches_handler},
                  {"verdict", route->verdict}};
  } else {
    j["route"] = nullptr;
  }
  j["allowed"] = allowed;
  return j;
}

std::string PolicyTestReport::to_text() const {
  std::string out = fmt::format("certificate: {} (issuer {}, thumbprint {})\n", subject, issuer, thumbprint);
  if (tls_mode.empty()) {
    out += "tls: plain HTTP: no client certificate can be presented\n";
  } else if (!certificate_requested) {
    out += "tls: client certificates none: the TLS layer does not ask, so the certificate is never sent\n";
  } else {
    out += fmt::format("tls: client certificates {}: {} by {}\n", tls_mode,
                       tls->accepted ? "accepted" : "rejected", tls->decided_by);
    out += fmt::format("  sslPolicyErrors: {}\n", krtool::to_string(tls->errors));
    for (const std::string& reason : tls->reasons) out += fmt::format("  {}\n", reason);
  }
  for (const SchemeVerdict& scheme : schemes) {
    out += fmt::format("scheme {}: {}\n", scheme.name, scheme_text(scheme));
  }
  for (const auth::PolicyVerdict& policy : policies) {
    out += fmt::format("policy {}: {}\n", policy.policy, policy.authorized() ? "authorized" : "refused");
    for (const auth::RuleVerdict& rule : policy.rules) {
      out += fmt::format("  {} {}: {}\n", rule.passed ? "pass" : "FAIL", rule.rule, rule.detail);
    }
  }
  if (route) {
    std::string answer;
    if (route->reaches_handler) {
      answer = "the handler runs";
    } else if (route->status == 0) {
      answer = "no answer";
    } else {
      answer = fmt::format("{}", route->status);
    }
    out += fmt::format("route {} {}: {} ({}){}\n", route->method, route->path, answer, route->verdict,
                       route->route.empty() ? "" : fmt::format(" [{}]", route->route));
  }
  out += fmt::format("verdict: {}\n", allowed ? "allowed" : "refused");
  return out;
}

}  // namespace krtool::server
