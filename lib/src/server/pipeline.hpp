// The HTTP layer's decision for one request, independent of the HTTP library: find the route, run its
// authentication scheme, answer 401 without an authenticated principal, else call the handler.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/server/routes.hpp"

namespace krtool::server {

struct PipelineOutcome {
  HandlerResponse response;
  // for the access log: "public", "Certificate: success", "Certificate: failed: ..."
  std::string auth_verdict;
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
  RequestPipeline(std::vector<Route> routes,
                  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes, bool diagnostics);
  // handle is thread-safe. `chain` is the chain the client sent, or null. `memo`, when given, belongs
  // to the request's connection.
  PipelineOutcome handle(RequestView& request, STACK_OF(X509) * chain, AuthMemo* memo = nullptr) const;
  // may_block says whether handle() may wait on the network for this request: its handler calls an
  // upstream, or its scheme fetches CRLs (revocation mode Online).
  bool may_block(const std::string& method, const std::string& path) const;

 private:
  const Route* find_route(const std::string& method, const std::string& path, bool& path_matched) const;
  const auth::CertificateScheme* find_scheme(const std::string& name) const;

  std::vector<Route> routes_;
  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes_;
  bool diagnostics_;
};

}  // namespace krtool::server
