// verify_chain: the chain step of certificate authentication on OpenSSL, reporting every problem with
// .NET's X509ChainStatus name beside OpenSSL's reason, as Kestrun joins the chain's statuses.
#pragma once

#include <string>
#include <vector>

#include "krtool/ossl.hpp"

namespace krtool::auth {

struct ChainReport {
  // One entry per distinct problem, e.g. "UntrustedRoot (self-signed certificate: 'CN=alice')".
  std::vector<std::string> problems;
  int length = 0;  // the certificates in the chain that was built, leaf to anchor
  bool ok() const { return problems.empty(); }
};

// verify_chain builds and checks `certificate`'s chain to an anchor in `trust` (shared, not modified),
// with `untrusted` (may be null) as candidate intermediates, at the current time, for no particular
// purpose. With `crls` non-null it also checks the leaf, and only the leaf, against them
// (X509_V_FLAG_CRL_CHECK); a leaf with no CRL from its issuer among them is a problem. Verification
// continues past a problem so that all of them are reported. Throws Error(Internal) when OpenSSL
// cannot set up the verification.
ChainReport verify_chain(X509_STORE* trust, X509* certificate, STACK_OF(X509) * untrusted,
                         const std::vector<ossl::UniquePtr<X509_CRL>>* crls);

}  // namespace krtool::auth
