// The certificate factory behind `new-selfsigned`: leaf and CA certificates, self-signed or signed by
// an issuer, with Kestrun's defaults (see docs/certificates.md for each default and why).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/cert/key.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

// Purpose is the extended key usage of a leaf: Both (serverAuth + clientAuth) is Kestrun's default.
enum class Purpose { Server, Client, Both, None };
Purpose parse_purpose(std::string_view text, std::string_view flag = "--purpose");

// parse_key_usage reads one .NET X509KeyUsageFlags name (DigitalSignature, KeyEncipherment, CrlSign,
// ...) or its RFC 5280 spelling (digitalSignature, cRLSign, ...) and returns OpenSSL's KU_* bit.
unsigned parse_key_usage(std::string_view text, std::string_view flag = "--key-usage");

struct CertificateSpec {
  std::vector<std::string> names;  // SAN entries, each by its kind (alt_names.hpp); the first gives the CN
  std::string subject;             // a DN in .NET order; empty means CN=<first name>
  KeySpec key;
  std::optional<TimePoint> not_before;  // default: now - 5 minutes
  std::optional<TimePoint> not_after;   // default: not_before + valid_days
  int valid_days = 365;
  Purpose purpose = Purpose::Both;  // ignored for CAs, which carry no EKU
  unsigned key_usage = 0;           // KU_* bits; 0 means Kestrun's default for the key and role
  bool is_ca = false;
  std::vector<std::string> crl_urls;
  std::vector<std::string> ocsp_urls;
};

// normalize_names trims, drops empties and case-insensitive duplicates (as Kestrun); throws
// Error(Usage) when none is left and no subject was given.
std::vector<std::string> normalize_names(const std::vector<std::string>& names);

// create_certificate generates a key and a certificate for `spec`, self-signed when `issuer` is null,
// else signed by the issuer, whose certificate must be a CA with a private key (Error(Input) otherwise).
// The result's chain holds the issuer and the issuer's own chain.
CertBundle create_certificate(const CertificateSpec& spec, const CertBundle* issuer = nullptr);

// sign_request issues a certificate for a CSR's public key and subject, taking the SANs from the CSR
// unless `spec.names` is given, and validity, purpose and key usage from `spec`. The result has no key.
CertBundle sign_request(X509_REQ* request, const CertificateSpec& spec, const CertBundle& issuer);

// DevelopmentSpec / create_development_pair: Kestrun's -Development, a root CA and a localhost leaf
// (DNS:localhost, IP:127.0.0.1, IP:::1 by default) signed by it.
struct DevelopmentSpec {
  std::string root_name = "krtool Development Root CA";
  int root_valid_days = 3650;
  int leaf_valid_days = 30;
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  KeySpec leaf_key{};
};
struct DevelopmentPair {
  CertBundle root;
  CertBundle leaf;
};
// create_development_pair makes a fresh root each time; the commands use the stored one instead
// (dev_root.hpp) and create_development_leaf under it.
DevelopmentPair create_development_pair(const DevelopmentSpec& spec);
CertBundle create_development_leaf(const DevelopmentSpec& spec, const CertBundle& root);
CertBundle create_development_root(const std::string& name, int valid_days);  // RSA 2048, CN=name

}  // namespace krtool::cert
