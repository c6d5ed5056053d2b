// What `krtool import` prints: a certificate described with .NET's value formats (thumbprint as
// uppercase SHA-1 hex, serial number as uppercase hex of the INTEGER's bytes, DNs most specific first).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

// EKU object identifiers that krtool names.
inline constexpr const char* kServerAuthOid = "1.3.6.1.5.5.7.3.1";
inline constexpr const char* kClientAuthOid = "1.3.6.1.5.5.7.3.2";

struct CertificateInfo {
  std::string subject;
  std::string issuer;
  std::string thumbprint;         // SHA-1 of the DER, uppercase hex, no separators (as .NET)
  std::string thumbprint_sha256;  // SHA-256, same spelling
  std::string serial_number;      // uppercase hex of the INTEGER's content bytes, leading 00 kept
  TimePoint not_before;
  TimePoint not_after;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string key_type;  // "RSA", "ECDSA", "Ed25519"
  int key_size = 0;
  std::string curve;  // "P-256" for ECDSA keys, else ""
  bool is_certificate_authority = false;
  bool is_self_signed = false;                  // subject == issuer, ordinal, as Kestrun
  std::vector<std::string> key_usage;           // .NET X509KeyUsageFlags names
  std::vector<std::string> enhanced_key_usage;  // friendly names, else the OID
  std::vector<std::string> enhanced_key_usage_oids;
  std::vector<std::string> crl_urls;
  std::vector<std::string> ocsp_urls;
  std::string signature_algorithm;  // "sha256WithRSAEncryption", "ecdsa-with-SHA256", "ED25519"
  bool has_private_key = false;
};

CertificateInfo describe(X509* certificate, bool has_private_key = false);

// thumbprint / thumbprint_sha256 / serial_number / dns_names / enhanced_key_usage_oids compute one
// field without the rest.
std::string thumbprint(X509* certificate);
std::string thumbprint_sha256(X509* certificate);
std::string serial_number(X509* certificate);
std::vector<std::string> dns_names(X509* certificate);  // the SAN's DNS entries, in order
std::vector<std::string> enhanced_key_usage_oids(
    X509* certificate);  // dotted OIDs; empty without the extension

// eku_friendly_name maps serverAuth and clientAuth OIDs to .NET's names and returns others unchanged.
std::string eku_friendly_name(const std::string& oid);

// to_json gives the contract's import fields; bundle_to_json adds `hasPrivateKey` and `chain`.
nlohmann::json to_json(const CertificateInfo& info);
nlohmann::json bundle_to_json(const CertBundle& bundle);

// to_text gives the human-readable description that `krtool import` prints without --json.
std::string to_text(const CertificateInfo& info);

}  // namespace krtool::cert
