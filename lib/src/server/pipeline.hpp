// The HTTP layer's decision for one request, independent of the HTTP library: find the route, run its
// authentication scheme, answer 401 without an authenticated principal, else call the handler.
#pragma once

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

class RequestPipeline {
 public:
  RequestPipeline(std::vector<Route> routes,
                  std::vector<std::shared_ptr<const auth::CertificateScheme>> schemes, bool diagnostics);
  // handle is thread-safe. `chain` is the chain the client sent, or null.
  PipelineOutcome handle(RequestView& request, STACK_OF(X509) * chain) const;
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
