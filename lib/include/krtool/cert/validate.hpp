// What `krtool test-cert` checks: Test-KrCertificate's checks in its order (validity, self-signed,
// chain, purpose, weak algorithms), the first failure being the reason; and Get-KrCertificatePurpose.
// The chain step is the chain engine's (krtool/cert/chain.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

struct ValidationOptions {
  // Extra certificates (those in the file, --chain): untrusted intermediates, never anchors, even
  // when self-signed.
  std::vector<ossl::UniquePtr<X509>> chain;
  // The trust anchors; empty means the system store. A self-signed certificate under test is
  // trusted as itself (Test-KrCertificate; --deny-self-signed refuses it).
  std::vector<ossl::UniquePtr<X509>> trust_ca;
  std::vector<std::string> expected_purposes;  // EKU OIDs (server/client already mapped to OIDs)
  bool strict_purpose = false;                 // the EKU set must equal the expected set
  bool deny_self_signed = false;
  bool allow_weak_algorithms = false;
  bool check_revocation = false;
  std::vector<ossl::UniquePtr<X509_CRL>> crls;  // used when check_revocation
  std::optional<TimePoint> at;                  // validation time; default now
};

struct ValidationResult {
  bool valid = false;
  std::string reason;                 // "" when valid; otherwise Test-KrCertificate's message
  std::vector<std::string> purposes;  // Get-KrCertificatePurpose: friendly names, else OIDs
  std::vector<std::string> chain;     // subjects of the chain that was built, leaf first
  std::string subject;                // the certificate tested, for the report
  std::string thumbprint;
};

// validate_certificate runs the checks; a failed check is a result (valid = false), not an exception.
// Throws Error(Input) only when the certificate itself cannot be read (a corrupt extension), and
// Error(Internal) when OpenSSL fails to set up the verification.
ValidationResult validate_certificate(X509* certificate, const ValidationOptions& options);

// certificate_purposes is Get-KrCertificatePurpose.
std::vector<std::string> certificate_purposes(X509* certificate);

// parse_expected_purpose maps "server"/"client" (and .NET's names) to OIDs; a dotted OID passes
// through; anything else is Error(Usage) naming the flag.
std::string parse_expected_purpose(std::string_view text, std::string_view flag = "--purpose");

// to_json gives the contract's fields: valid, reason, purposes, chain, and certificate {subject,
// thumbprint}.
nlohmann::json to_json(const ValidationResult& result);

}  // namespace krtool::cert
