#include "auth/claims.hpp"

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"

namespace krtool::auth {

Principal make_principal(X509* certificate, const std::string& scheme) {
  const std::string subject = cert::format_dn(X509_get_subject_name(certificate));
  Principal principal;
  principal.authentication_type = scheme;
  principal.name = subject;
  principal.claims = {
      {kNameIdentifierClaim, subject},
      {kNameClaim, subject},
      {"thumbprint", cert::thumbprint(certificate)},
      {"issuer", cert::format_dn(X509_get_issuer_name(certificate))},
      {"serialnumber", cert::serial_number(certificate)},
  };
  return principal;
}

}  // namespace krtool::auth
