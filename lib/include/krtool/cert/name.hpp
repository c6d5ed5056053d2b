// Distinguished names in .NET's spelling, which the guide, the claims and the contract use: the most
// specific RDN first, ", " between RDNs, short keys (CN, OU, O, L, S, C, E), e.g. "CN=alice, O=Acme".
#pragma once

#include <string>
#include <string_view>

#include "krtool/ossl.hpp"

namespace krtool::cert {

// parse_dn reads "CN=alice, O=Acme, C=US" the way .NET's X500DistinguishedName does: the last RDN is
// encoded first, so the DER order is C, O, CN. Values may be double-quoted; keys are CN, OU, O, L, S
// (or ST), C, E (or EMAIL), STREET, DC, SERIALNUMBER, T, G, SN, I, or a dotted OID (optionally
// "OID."-prefixed). Throws Error(Usage) naming `flag` for a malformed name.
ossl::UniquePtr<X509_NAME> parse_dn(std::string_view text, std::string_view flag = "--subject");

// format_dn prints a name as .NET's X500DistinguishedName.Name does.
std::string format_dn(const X509_NAME* name);

// self_signed_by_name tells whether a certificate's subject and issuer print the same. Kestrun compares
// the two strings ordinally, so a certificate that another key signed under its own name counts as
// self-signed too; test-cert, import's isSelfSigned and the Certificate scheme all use this one rule.
bool self_signed_by_name(X509* certificate);

// common_name returns the first CN of a name, or "".
std::string common_name(const X509_NAME* name);

}  // namespace krtool::cert
