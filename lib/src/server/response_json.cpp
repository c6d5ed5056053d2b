#include "server/response_json.hpp"

#include "krtool/cert/describe.hpp"

namespace krtool::server::detail {

nlohmann::ordered_json certificate_summary(X509* certificate) {
  if (certificate == nullptr) return nullptr;
  const cert::CertificateInfo info = cert::describe(certificate);
  return {{"subject", info.subject},
          {"issuer", info.issuer},
          {"thumbprint", info.thumbprint},
          {"serialNumber", info.serial_number}};
}

nlohmann::ordered_json claims_array(const auth::Principal& principal) {
  nlohmann::ordered_json claims = nlohmann::ordered_json::array();
  for (const auth::Claim& claim : principal.claims) {
    claims.push_back({{"type", claim.type}, {"value", claim.value}});
  }
  return claims;
}

HandlerResponse json_response(const nlohmann::ordered_json& body, int status) {
  HandlerResponse response;
  response.status = status;
  response.content_type = "application/json";
  // Replacing invalid UTF-8 keeps a certificate with a Latin-1 subject from turning into a 500.
  response.body = body.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return response;
}

HandlerResponse error_response(int status, const std::string& message) {
  return json_response({{"error", message}}, status);
}

}  // namespace krtool::server::detail
