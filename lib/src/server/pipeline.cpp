#include "server/pipeline.hpp"

#include <fmt/format.h>
#include <openssl/x509.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "krtool/error.hpp"
#include "krtool/util/did_you_mean.hpp"

namespace krtool::server {
namespace {

HandlerResponse json_error(int status, const std::string& message) {
  HandlerResponse response;
  response.status = status;
  // A decoded path may hold bytes that are not UTF-8 (GET /%FF): replaced, never an exception.
  response.body =
      nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

// A 401 is empty, with no WWW-Authenticate header, as Kestrun's certificate handler answers, and so is a
// 403 (ASP.NET's Forbid); the reason goes to the log, and to the client only with --diagnostics.
HandlerResponse refusal(int status, const std::string& reason, bool diagnostics) {
  HandlerResponse response;
  response.status = status;
  response.content_type.clear();
  if (diagnostics) response.headers.emplace_back("Krtool-Auth-Failure", reason);
  return response;
}

// with_revocation_source names where the revocation status came from ("OCSP at URL, good, cached until
// T"), so that the log and --diagnostics say which responder or CRL to look at.
std::string with_revocation_source(std::string text, const auth::AuthResult& result) {
  if (result.revocation.empty()) return text;
  return fmt::format("{} [revocation: {}]", text, result.revocation);
}

template <typename Named>
std::vector<std::string> names_of(const std::vector<std::shared_ptr<const Named>>& items) {
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(item->name());
  return names;
}

std::string did_you_mean(const std::string& typed, const std::vector<std::string>& names) {
  const std::string near = util::closest_name(typed, names);
  return near.empty() ? "" : fmt::format("did you mean '{}'? ", near);
}

bool path_matches(const Route& route, const std::string& path) {
  if (!route.prefix) return route.path == path;
  if (path.rfind(route.path, 0) != 0) return false;
  return route.path.back() == '/' || path.size() == route.path.size() || path[route.path.size()] == '/';
}

}  // namespace

RequestPipeline::RequestPipeline(std::vector<Route> routes,
                                 std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes,
                                 bool diagnostics,
                                 std::vector<std::shared_ptr<const auth::AuthorizationPolicy>> policies)
    : routes_(std::move(routes)),
      schemes_(std::move(schemes)),
      diagnostics_(diagnostics),
      policies_(std::move(policies)) {
  for (const Route& route : routes_) {
    for (const std::string& name : split_schemes(route.scheme)) {
      if (find_scheme(name) != nullptr) continue;
      const std::vector<std::string> names = names_of(schemes_);
      throw Error(Errc::Usage,
                  fmt::format("route {} {}: Authentication scheme '{}' is not registered.", route.method,
                              route.path, name),
                  names.empty() ? "add a scheme (--auth-scheme NAME) or remove auth= from the route"
                                : fmt::format("{}registered schemes: {}", did_you_mean(name, names),
                                              fmt::join(names, ", ")));
    }
    if (!route.policy.empty() && find_policy(route.policy) == nullptr) {
      const std::vector<std::string> names = names_of(policies_);
      throw Error(Errc::Usage,
                  fmt::format("route {} {}: authorization policy '{}' is not defined", route.method,
                              route.path, route.policy),
                  names.empty() ? fmt::format("define it: --policy '{}: subject O=Acme' (or \"policies\" in "
                                              "--config), or remove policy= from the route",
                                              route.policy)
                                : fmt::format("{}defined policies: {}", did_you_mean(route.policy, names),
                                              fmt::join(names, ", ")));
    }
  }
}

const auth::AuthorizationPolicy* RequestPipeline::find_policy(const std::string& name) const {
  for (const auto& policy : policies_) {
    if (policy->name() == name) return policy.get();
  }
  return nullptr;
}

const auth::CertificateScheme* RequestPipeline::find_scheme(const std::string& name) const {
  for (const auto& scheme : schemes_) {
    if (scheme->name() == name) return scheme.get();
  }
  return nullptr;
}

const Route* RequestPipeline::find_route(const std::string& method, const std::string& path,
                                         bool& path_matched) const {
  path_matched = false;
  for (const Route& route : routes_) {
    if (!path_matches(route, path)) continue;
    path_matched = true;
    if (route.method == "*" || route.method == method || (method == "HEAD" && route.method == "GET"))
      return &route;
  }
  return nullptr;
}

bool RequestPipeline::may_block(const std::string& method, const std::string& path) const {
  bool path_matched = false;
  const Route* route = find_route(method, path, path_matched);
  if (route == nullptr) return false;
  if (route->handler->may_block()) return true;
  const std::vector<std::string> names = split_schemes(route->scheme);
  return std::any_of(names.begin(), names.end(), [this](const std::string& name) {
    const auth::CertificateScheme* scheme = find_scheme(name);
    return scheme != nullptr && scheme->options().revocation_mode == auth::RevocationMode::Online;
  });
}

const auth::AuthResult* AuthMemo::find(const std::string& scheme,
                                       std::chrono::steady_clock::time_point now) const {
  for (const Entry& entry : entries_) {
    if (entry.scheme == scheme && now < entry.expires) return entry.result.get();
  }
  return nullptr;
}

const auth::AuthResult& AuthMemo::keep(const std::string& scheme, auth::AuthResult result, X509* certificate,
                                       std::chrono::steady_clock::time_point now) {
  auto expires = now + kLifetime;
  if (certificate != nullptr) {
    // Until notAfter at the latest, so that a certificate expiring mid-connection is refused from then on.
    int days = 0, seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(certificate)) == 1) {
      const auto left = std::chrono::seconds(static_cast<long long>(days) * 86400 + seconds);
      expires = std::min(expires, now + std::max(left, std::chrono::seconds(0)));
    }
  }
  std::erase_if(entries_, [&](const Entry& entry) { return entry.scheme == scheme; });
  entries_.push_back(Entry{scheme, std::make_unique<auth::AuthResult>(std::move(result)), expires});
  return *entries_.back().result;
}

AccessDecision RequestPipeline::decide(const std::string& method, const std::string& path, X509* certificate,
                                       STACK_OF(X509) * chain, AuthMemo* memo) const {
  AccessDecision decision;
  bool path_matched = false;
  decision.route = find_route(method, path, path_matched);
  const Route* route = decision.route;
  if (route == nullptr) {
    decision.status = path_matched ? 405 : 404;
    decision.verdict = "-";
    return decision;
  }
  if (route->scheme.empty()) {
    decision.verdict = "public";
    return decision;
  }
  // ASP.NET's AuthenticationSchemes = "A,B": each scheme in order until one succeeds; a failure is
  // remembered, for the log and --diagnostics, in case none does.
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string> told;
  std::string first_failure;
  for (const std::string& name : split_schemes(route->scheme)) {
    const auth::AuthResult* found = memo != nullptr ? memo->find(name, now) : nullptr;
    if (found == nullptr) {
      auth::AuthResult result = find_scheme(name)->authenticate(certificate, chain);
      if (memo != nullptr) {
        found = &memo->keep(name, std::move(result), certificate, now);
      } else {
        decision.fresh.push_back(std::make_unique<auth::AuthResult>(std::move(result)));
        found = decision.fresh.back().get();
      }
    }
    decision.attempts.emplace_back(name, found);
    if (found->outcome == auth::AuthResult::Outcome::Success) {
      told.push_back(with_revocation_source(fmt::format("{}: success", name), *found));
      decision.authenticated = found;
      break;
    }
    if (found->outcome == auth::AuthResult::Outcome::Failure) {
      const std::string failure = with_revocation_source(found->failure, *found);
      told.push_back(fmt::format("{}: failed: {}", name, failure));
      if (first_failure.empty()) first_failure = failure;
    } else {
      told.push_back(fmt::format("{}: no certificate", name));
    }
  }
  decision.verdict = fmt::format("{}", fmt::join(told, "; "));
  if (decision.authenticated == nullptr) {
    decision.status = 401;
    decision.verdict += " (401)";
    decision.reason = first_failure.empty() ? "no client certificate was presented" : first_failure;
    return decision;
  }
  if (route->policy.empty()) return decision;
  decision.policy = find_policy(route->policy)->evaluate(certificate, decision.authenticated->principal);
  if (decision.policy->authorized()) {
    decision.verdict += fmt::format("; policy {}: authorized", route->policy);
  } else {
    decision.status = 403;
    decision.reason = decision.policy->failure();
    decision.verdict += fmt::format("; {} (403)", decision.reason);
  }
  return decision;
}

PipelineOutcome RequestPipeline::handle(RequestView& request, STACK_OF(X509) * chain, AuthMemo* memo) const {
  PipelineOutcome outcome;
  const AccessDecision decision = decide(request.method, request.path, request.certificate, chain, memo);
  outcome.auth_verdict = decision.verdict;
  switch (decision.status) {
    case 0:
      break;
    case 404:
      outcome.response = json_error(404, fmt::format("no route for {} {}", request.method, request.path));
      return outcome;
    case 405:
      outcome.response =
          json_error(405, fmt::format("method {} is not allowed on {}", request.method, request.path));
      return outcome;
    default:
      outcome.response = refusal(decision.status, decision.reason, diagnostics_);
      return outcome;
  }
  request.principal = decision.authenticated != nullptr ? &decision.authenticated->principal : nullptr;
  try {
    outcome.response = decision.route->handler->handle(request);
  } catch (const std::exception& e) {
    outcome.response = json_error(500, "the handler failed; see the server log");
    outcome.auth_verdict += fmt::format("; handler error: {}", e.what());
  }
  request.principal = nullptr;  // it may point into the decision's results, which end here
  return outcome;
}

}  // namespace krtool::server
