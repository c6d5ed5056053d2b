// The HTTP layer's decision for one request, independent of the connection that carried it (and so
// testable without one): find the route, run its authentication schemes in order until one succeeds,
// answer 401 without an authenticated principal, 403 when the principal fails the route's
// authorization policy, else call the handler.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krtool/auth/authorization_policy.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/server/routes.hpp"

namespace krtool::server {

struct PipelineOutcome {
  HandlerResponse response;
  // for the access log: "public", "Certificate: success", "Certificate: failed: ...",
  // "Certificate: success; policy ops: subject O=Acme: the certificate's subject has O=Other (403)"
  std::string auth_verdict;
};

// AccessDecision is what the pipeline decides before a handler runs: which route, and whether the
// client may reach it. `krtool policy test` shows it without a server.
struct AccessDecision {
  const Route* route = nullptr;  // null: no route (404) or not for this method (405)
  int status = 0;                // 0: the handler runs; else 401, 403, 404 or 405
  std::string verdict;           // PipelineOutcome::auth_verdict
  std::string reason;            // for Krtool-Auth-Failure: the remembered failure, or the policy's
  // One per scheme tried, in the route's order; results point into `fresh` or into the connection's memo.
  std::vector<std::pair<std::string, const auth::AuthResult*>> attempts;
  const auth::AuthResult* authenticated = nullptr;  // the first success, if any
  std::optional<auth::PolicyVerdict> policy;        // when the route has a policy and a principal came
  std::vector<std::unique_ptr<auth::AuthResult>> fresh;
};

// AuthMemo keeps, for one connection, each scheme's result on the certificate its handshake settled, so
// that a keep-alive client is not verified again on every request: what ASP.NET Core's certificate
// validation cache does, kept per connection. A result lasts kLifetime, never past the certificate's
// notAfter; a new connection (a revoked client reconnecting) is always verified afresh.
class AuthMemo {
 public:
  static constexpr std::chrono::seconds kLifetime{120};
  const auth::AuthResult* find(const std::string& scheme, std::chrono::steady_clock::time_point now) const;
  const auth::AuthResult& keep(const std::string& scheme, auth::AuthResult result, X509* certificate,
                               std::chrono::steady_clock::time_point now);

 private:
  struct Entry {
    std::string scheme;
    std::unique_ptr<auth::AuthResult> result;  // stable address: a handler may hold its principal
    std::chrono::steady_clock::time_point expires;
  };
  std::vector<Entry> entries_;  // one per scheme the connection met: a handful at most
};

class RequestPipeline {
 public:
  // The constructor checks that every route's schemes and policy exist: Error(Usage) with a did-you-mean.
  RequestPipeline(std::vector<Route> routes,
                  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes, bool diagnostics,
                  std::vector<std::shared_ptr<const auth::AuthorizationPolicy>> policies = {});
  // handle is thread-safe. `chain` is the chain the client sent, or null. `memo`, when given, belongs
  // to the request's connection.
  PipelineOutcome handle(RequestView& request, STACK_OF(X509) * chain, AuthMemo* memo = nullptr) const;
  // decide is handle() up to the handler: route, authentication, authorization.
  AccessDecision decide(const std::string& method, const std::string& path, X509* certificate,
                        STACK_OF(X509) * chain, AuthMemo* memo = nullptr) const;
  // may_block says whether handle() may wait on the network for this request: its handler calls an
  // upstream, or its scheme fetches CRLs (revocation mode Online).
  bool may_block(const std::string& method, const std::string& path) const;

 private:
  const Route* find_route(const std::string& method, const std::string& path, bool& path_matched) const;
  const auth::CertificateScheme* find_scheme(const std::string& name) const;
  const auth::AuthorizationPolicy* find_policy(const std::string& name) const;

  std::vector<Route> routes_;
  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes_;
  bool diagnostics_;
  std::vector<std::shared_ptr<const auth::AuthorizationPolicy>> policies_;
};

}  // namespace krtool::server
