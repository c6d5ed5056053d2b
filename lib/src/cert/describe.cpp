#include "krtool/cert/describe.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "krtool/cert/key.hpp"
#include "krtool/cert/name.hpp"

namespace krtool::cert {
namespace {

std::string upper_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0F]);
  }
  return out;
}

std::string digest_hex(X509* certificate, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ossl::require(X509_digest(certificate, md, digest, &length) == 1, "computing a certificate digest");
  return upper_hex(digest, length);
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  char buffer[INET6_ADDRSTRLEN] = {};
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  const int length = ASN1_STRING_length(ip);
  if (length == 4) inet_ntop(AF_INET, data, buffer, sizeof buffer);
  if (length == 16) inet_ntop(AF_INET6, data, buffer, sizeof buffer);
  return buffer;
}

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// read_subject_alt_names collects the DNS names and, when `ip_addresses` is not null, the IP addresses.
void read_subject_alt_names(X509* certificate, std::vector<std::string>& dns_names,
                            std::vector<std::string>* ip_addresses) {
  ossl::UniquePtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) dns_names.push_back(asn1_text(name->d.dNSName));
    if (name->type == GEN_IPADD && ip_addresses != nullptr)
      ip_addresses->push_back(ip_text(name->d.iPAddress));
  }
}

void read_key_usage(X509* certificate, CertificateInfo& info) {
  // .NET's X509KeyUsageFlags names, in its order.
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {KU_ENCIPHER_ONLY, "EncipherOnly"},         {KU_CRL_SIGN, "CrlSign"},
      {KU_KEY_CERT_SIGN, "KeyCertSign"},          {KU_KEY_AGREEMENT, "KeyAgreement"},
      {KU_DATA_ENCIPHERMENT, "DataEncipherment"}, {KU_KEY_ENCIPHERMENT, "KeyEncipherment"},
      {KU_NON_REPUDIATION, "NonRepudiation"},     {KU_DIGITAL_SIGNATURE, "DigitalSignature"},
      {KU_DECIPHER_ONLY, "DecipherOnly"},
  };
  if ((X509_get_extension_flags(certificate) & EXFLAG_KUSAGE) == 0) return;
  const uint32_t bits = X509_get_key_usage(certificate);
  for (const auto& [bit, name] : kNames) {
    if ((bits & bit) != 0) info.key_usage.emplace_back(name);
  }
}

void read_revocation_urls(X509* certificate, CertificateInfo& info) {
  ossl::UniquePtr<CRL_DIST_POINTS> points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(certificate, NID_crl_distribution_points, nullptr, nullptr)));
  if (points) {
    for (int i = 0; i < sk_DIST_POINT_num(points.get()); ++i) {
      const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
      if (point->distpoint == nullptr || point->distpoint->type != 0) continue;
      const GENERAL_NAMES* names = point->distpoint->name.fullname;
      for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
        if (name->type == GEN_URI) info.crl_urls.push_back(asn1_text(name->d.uniformResourceIdentifier));
      }
    }
  }
  STACK_OF(OPENSSL_STRING)* ocsp = X509_get1_ocsp(certificate);
  for (int i = 0; i < sk_OPENSSL_STRING_num(ocsp); ++i)
    info.ocsp_urls.emplace_back(sk_OPENSSL_STRING_value(ocsp, i));
  X509_email_free(ocsp);  // the documented way to free X509_get1_ocsp's stack
}

nlohmann::json strings(const std::vector<std::string>& values) { return nlohmann::json(values); }

}  // namespace

std::string thumbprint(X509* certificate) { return digest_hex(certificate, EVP_sha1()); }

std::vector<std::string> dns_names(X509* certificate) {
  std::vector<std::string> names;
  read_subject_alt_names(certificate, names, nullptr);
  return names;
}

std::vector<std::string> enhanced_key_usage_oids(X509* certificate) {
  ossl::UniquePtr<EXTENDED_KEY_USAGE> usages(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr)));
  std::vector<std::string> oids;
  if (!usages) return oids;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    char oid[128] = {};
    ossl::require(OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(usages.get(), i), 1) > 0,
                  "reading an extended key usage OID");
    oids.emplace_back(oid);
  }
  return oids;
}
std::string thumbprint_sha256(X509* certificate) { return digest_hex(certificate, EVP_sha256()); }

std::string serial_number(X509* certificate) {
  // .NET prints the INTEGER's content octets as encoded, so a leading 00 that keeps a serial positive
  // stays: take the DER encoding and drop its tag and length.
  unsigned char* der = nullptr;
  const int length = i2d_ASN1_INTEGER(X509_get0_serialNumber(certificate), &der);
  ossl::require(length > 2, "encoding a serial number");
  ossl::UniquePtr<unsigned char> owned(der);
  size_t header = 2;
  if ((der[1] & 0x80) != 0) header += der[1] & 0x7F;  // long-form length
  return upper_hex(der + header, static_cast<size_t>(length) - header);
}

std::string eku_friendly_name(const std::string& oid) {
  if (oid == kServerAuthOid) return "Server Authentication";
  if (oid == kClientAuthOid) return "Client Authentication";
  if (oid == "1.3.6.1.5.5.7.3.3") return "Code Signing";
  if (oid == "1.3.6.1.5.5.7.3.4") return "Secure Email";
  if (oid == "1.3.6.1.5.5.7.3.8") return "Time Stamping";
  if (oid == "1.3.6.1.5.5.7.3.9") return "OCSP Signing";
  return oid;
}

CertificateInfo describe(X509* certificate, bool has_private_key) {
  CertificateInfo info;
  info.subject = format_dn(X509_get_subject_name(certificate));
  info.issuer = format_dn(X509_get_issuer_name(certificate));
  info.thumbprint = thumbprint(certificate);
  info.thumbprint_sha256 = thumbprint_sha256(certificate);
  info.serial_number = serial_number(certificate);
  info.not_before = from_asn1_time(X509_get0_notBefore(certificate), "the certificate's notBefore");
  info.not_after = from_asn1_time(X509_get0_notAfter(certificate), "the certificate's notAfter");
  read_subject_alt_names(certificate, info.dns_names, &info.ip_addresses);
  if (EVP_PKEY* key = X509_get0_pubkey(certificate)) {
    info.key_type = key_type_name(key);
    info.key_size = key_bits(key);
    info.curve = curve_name(key);
  }
  info.is_certificate_authority = (X509_get_extension_flags(certificate) & EXFLAG_CA) != 0;
  info.is_self_signed = info.subject == info.issuer;
  read_key_usage(certificate, info);
  info.enhanced_key_usage_oids = enhanced_key_usage_oids(certificate);
  for (const std::string& oid : info.enhanced_key_usage_oids)
    info.enhanced_key_usage.push_back(eku_friendly_name(oid));
  read_revocation_urls(certificate, info);
  const int signature_nid = X509_get_signature_nid(certificate);
  info.signature_algorithm = signature_nid != NID_undef ? OBJ_nid2ln(signature_nid) : "unknown";
  info.has_private_key = has_private_key;
  return info;
}

nlohmann::json to_json(const CertificateInfo& info) {
  nlohmann::json j;
  j["subject"] = info.subject;
  j["issuer"] = info.issuer;
  j["thumbprint"] = info.thumbprint;
  j["thumbprintSha256"] = info.thumbprint_sha256;
  j["serialNumber"] = info.serial_number;
  j["notBefore"] = format_rfc3339(info.not_before);
  j["notAfter"] = format_rfc3339(info.not_after);
  j["dnsNames"] = strings(info.dns_names);
  j["ipAddresses"] = strings(info.ip_addresses);
  j["keyType"] = info.key_type;
  j["keySize"] = info.key_size;
  if (!info.curve.empty()) j["curve"] = info.curve;
  j["isCertificateAuthority"] = info.is_certificate_authority;
  j["isSelfSigned"] = info.is_self_signed;
  j["keyUsage"] = strings(info.key_usage);
  j["enhancedKeyUsage"] = strings(info.enhanced_key_usage);
  j["crlDistributionPoints"] = strings(info.crl_urls);
  j["ocspUrls"] = strings(info.ocsp_urls);
  j["signatureAlgorithm"] = info.signature_algorithm;
  j["hasPrivateKey"] = info.has_private_key;
  return j;
}

nlohmann::json bundle_to_json(const CertBundle& bundle) {
  nlohmann::json j = to_json(describe(bundle.certificate.get(), bundle.key != nullptr));
  nlohmann::json chain = nlohmann::json::array();
  for (const auto& member : bundle.chain) chain.push_back(to_json(describe(member.get())));
  j["chain"] = chain;
  return j;
}

std::string to_text(const CertificateInfo& info) {
  auto join = [](const std::vector<std::string>& values) {
    return values.empty() ? std::string("-") : fmt::format("{}", fmt::join(values, ", "));
  };
  std::string key = info.key_type;
  if (!info.curve.empty()) {
    key += " " + info.curve;
  } else if (info.key_type == "RSA" || info.key_type == "DSA") {
    key += fmt::format(" {}", info.key_size);
  }
  std::string out;
  out += fmt::format("Subject:        {}\n", info.subject);
  out += fmt::format("Issuer:         {}{}\n", info.issuer, info.is_self_signed ? " (self-signed)" : "");
  out += fmt::format("Thumbprint:     {}\n", info.thumbprint);
  out += fmt::format("SHA-256:        {}\n", info.thumbprint_sha256);
  out += fmt::format("Serial number:  {}\n", info.serial_number);
  out += fmt::format("Valid:          {} to {}\n", format_rfc3339(info.not_before),
                     format_rfc3339(info.not_after));
  out += fmt::format("DNS names:      {}\n", join(info.dns_names));
  out += fmt::format("IP addresses:   {}\n", join(info.ip_addresses));
  out += fmt::format("Key:            {}{}\n", key, info.has_private_key ? " (private key present)" : "");
  out += fmt::format("CA:             {}\n", info.is_certificate_authority ? "yes" : "no");
  out += fmt::format("Key usage:      {}\n", join(info.key_usage));
  out += fmt::format("Extended usage: {}\n", join(info.enhanced_key_usage));
  if (!info.crl_urls.empty()) out += fmt::format("CRL:            {}\n", join(info.crl_urls));
  if (!info.ocsp_urls.empty()) out += fmt::format("OCSP:           {}\n", join(info.ocsp_urls));
  out += fmt::format("Signature:      {}\n", info.signature_algorithm);
  return out;
}

}  // namespace krtool::cert
