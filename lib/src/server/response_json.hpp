// The JSON pieces that several handlers answer with: the certificate summary and the claims of the
// tutorial's /secure/cert/info, and the {"error": ...} body of a handler's own failures. Bodies keep
// the order in which fields are written (ordered_json), so that responses read like the contract.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/server/routes.hpp"

namespace krtool::server::detail {

// certificate_summary is {subject, issuer, thumbprint, serialNumber}, or null without a certificate.
nlohmann::ordered_json certificate_summary(X509* certificate);

// claims_array is [{type, value}, ...] in the principal's order.
nlohmann::ordered_json claims_array(const auth::Principal& principal);

// json_response answers `body` pretty-printed with a final newline (curl users read it on a terminal).
HandlerResponse json_response(const nlohmann::ordered_json& body, int status = 200);

// error_response answers {"error": message}.
HandlerResponse error_response(int status, const std::string& message);

}  // namespace krtool::server::detail
