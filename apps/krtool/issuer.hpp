// Loading the CA that a command signs with or revokes for (--issuer, --issuer-key, --issuer-password*).
#pragma once

#include <string>

#include "common.hpp"
#include "krtool/cert/bundle.hpp"

namespace krtool::app {

// load_issuer_bundle reads the CA's certificate and, when `with_key`, its key (from --issuer-key, the
// PFX, or the PEM's sibling <base>.key), asking for a password on a terminal when one is needed.
cert::CertBundle load_issuer_bundle(const std::string& issuer, const std::string& issuer_key,
                                    const PasswordFlags& password, bool with_key);

}  // namespace krtool::app
