// policy_test is `krtool policy test`: what a server built from a ServeConfig would decide about one
// client certificate, layer by layer, without a server. Each layer is asked through the code that
// decides for a real connection: the TLS layer's handshake callback (TlsServerConfig::decide), each
// scheme's authenticate(), each policy's evaluate(), and the request pipeline's decide() for a route.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krtool/auth/authorization_policy.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/server/serve_config.hpp"
#include "krtool/tls/server_context.hpp"
#include "krtool/util/password.hpp"

namespace krtool::server {

struct PolicyTestRequest {
  std::string method;  // with `path`: the route to try, 'GET /path'; empty: no route, every policy
  std::string path;
};

// parse_policy_test_route reads 'METHOD PATH' (--route of krtool policy test); Error(Usage) otherwise.
PolicyTestRequest parse_policy_test_route(std::string_view text, std::string_view flag = "--route");

struct SchemeVerdict {
  std::string name;
  auth::AuthResult result;
};

struct RouteVerdict {
  std::string method, path;
  std::string route;  // the matching route as the start-up listing shows it, "" when none matched
  int status = 0;     // 401, 403, 404, 405; 0 when the handler runs or the handshake fails
  bool reaches_handler = false;
  std::string verdict;  // the access log's auth field
};

struct PolicyTestReport {
  std::string subject, issuer, thumbprint;
  std::string tls_mode;  // "none", "allow", "require"; "" for plain HTTP
  bool certificate_requested = false;
  std::optional<tls::HandshakeVerdict> tls;   // when the TLS layer asked for the certificate
  bool reaches_http = false;                  // the certificate gets past the TLS layer to the schemes
  std::vector<SchemeVerdict> schemes;         // every configured scheme, on what reaches HTTP
  std::vector<auth::PolicyVerdict> policies;  // the route's policy, or every policy without a route
  std::optional<RouteVerdict> route;
  bool allowed = false;  // the route would run its handler; without a route: every layer says yes

  nlohmann::json to_json() const;
  std::string to_text() const;
};

// run_policy_test builds the TLS layer, the schemes, the policies and the routes from `config` as serve
// would (errors as serve's) and asks each about `certificate`, with `chain` as the intermediates the
// client would send. `prompt` reads the server certificate's password when it needs one.
PolicyTestReport run_policy_test(const ServeConfig& config, X509* certificate, STACK_OF(X509) * chain,
                                 const PolicyTestRequest& request, const PasswordPrompt& prompt);

}  // namespace krtool::server
