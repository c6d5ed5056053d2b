#include "auth/claims.hpp"

#include "krtool/cert/identity.hpp"

namespace krtool::auth {

Principal make_principal(X509* certificate, const std::string& scheme) {
  const cert::Identity id = cert::identity(certificate);
  Principal principal;
  principal.authentication_type = scheme;
  principal.name = id.subject;
  principal.claims = {
      {kNameIdentifierClaim, id.subject}, {kNameClaim, id.subject},
      {"thumbprint", id.thumbprint},      {"issuer", id.issuer},
      {"serialnumber", id.serial_number},
  };
  return principal;
}

}  // namespace krtool::auth
