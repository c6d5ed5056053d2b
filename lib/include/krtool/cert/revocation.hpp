// The vocabulary shared by a CA's database, the CRLs it makes and its OCSP answers: serial numbers in
// one spelling, and RFC 5280's CRLReason names.
#pragma once

#include <string>
#include <string_view>

#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

// RevocationReason's values are RFC 5280's CRLReason codes (7 is unused), so they go into a CRL or an
// OCSP answer as they are.
enum class RevocationReason {
  Unspecified = 0,
  KeyCompromise = 1,
  CaCompromise = 2,
  AffiliationChanged = 3,
  Superseded = 4,
  CessationOfOperation = 5,
  CertificateHold = 6,
  RemoveFromCrl = 8,
  PrivilegeWithdrawn = 9,
  AaCompromise = 10,
};

// parse_revocation_reason takes RFC 5280's name (keyCompromise, cACompromise, ...), case-insensitively;
// Error(Usage) naming `flag` and listing the names otherwise.
RevocationReason parse_revocation_reason(std::string_view text, std::string_view flag = "--reason");
// revocation_reason_name gives RFC 5280's spelling: "keyCompromise", "cACompromise", ...
std::string_view revocation_reason_name(RevocationReason reason);
// kRevocationReasonNames lists them all, "|"-separated, for help texts and completion.
inline constexpr std::string_view kRevocationReasonNames =
    "unspecified|keyCompromise|cACompromise|affiliationChanged|superseded|cessationOfOperation|"
    "certificateHold|removeFromCRL|privilegeWithdrawn|aACompromise";

// Serial numbers are spelled as uppercase hexadecimal of the value, without leading zeros ("1A2B"):
// what `openssl x509 -serial` prints. serial_hex reads a certificate's; parse_serial accepts a serial
// as people paste it (leading zeros as .NET and `krtool import` print them, "0x", ':' between octets,
// lowercase) and returns that spelling; Error(Usage) naming `flag` for anything else, a negative or
// a zero serial, or more than 20 octets (RFC 5280's limit).
std::string serial_hex(X509* certificate);
std::string serial_hex(const ASN1_INTEGER* serial);
std::string parse_serial(std::string_view text, std::string_view flag);
ossl::UniquePtr<ASN1_INTEGER> serial_integer(std::string_view serial_hex);

// issued_by reports whether `ca` issued `certificate`: names and key identifiers match and the
// certificate's signature verifies with the CA's public key.
bool issued_by(X509* certificate, X509* ca);

// revocation_serial reads a command-line argument that names a certificate to revoke: an existing
// file holding the certificate (PEM, DER or PFX without a password), which must have been issued by
// `ca` (Error(Input) otherwise), or else a serial number (parse_serial). `flag` names it in errors.
std::string revocation_serial(std::string_view serial_or_file, X509* ca, std::string_view flag);

// Revocation is one revoked certificate, as a CRL entry and an OCSP "revoked" answer carry it.
struct Revocation {
  std::string serial;  // serial_hex spelling
  TimePoint revoked_at;
  RevocationReason reason = RevocationReason::Unspecified;
};

}  // namespace krtool::cert
