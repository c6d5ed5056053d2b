// The principal that a successful certificate authentication yields (reference §7, step 3).
#pragma once

#include <string>

#include "krtool/auth/certificate_scheme.hpp"

namespace krtool::auth {

// make_principal gives Kestrun's claims in its order: nameidentifier and name (the subject DN),
// thumbprint, issuer and serialnumber, all in .NET's value formats.
Principal make_principal(X509* certificate, const std::string& scheme);

}  // namespace krtool::auth
