#include "krtool/cert/revocation.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>

#include <array>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "krtool/cert/name.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/ascii.hpp"

namespace krtool::cert {
namespace {

struct ReasonName {
  RevocationReason reason;
  std::string_view name;
};
constexpr std::array<ReasonName, 10> kReasons{{
    {RevocationReason::Unspecified, "unspecified"},
    {RevocationReason::KeyCompromise, "keyCompromise"},
    {RevocationReason::CaCompromise, "cACompromise"},
    {RevocationReason::AffiliationChanged, "affiliationChanged"},
    {RevocationReason::Superseded, "superseded"},
    {RevocationReason::CessationOfOperation, "cessationOfOperation"},
    {RevocationReason::CertificateHold, "certificateHold"},
    {RevocationReason::RemoveFromCrl, "removeFromCRL"},
    {RevocationReason::PrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::AaCompromise, "aACompromise"},
}};

// RFC 5280 4.1.2.2: conforming serials are at most 20 octets.
constexpr size_t kMaxSerialOctets = 20;

std::string bignum_hex(const BIGNUM* number) {
  ossl::UniquePtr<char> hex(BN_bn2hex(number));
  ossl::require(hex != nullptr, "printing a serial number");
  return hex.get();
}

}  // namespace

RevocationReason parse_revocation_reason(std::string_view text, std::string_view flag) {
  for (const ReasonName& entry : kReasons) {
    if (util::equals_ignoring_case(text, entry.name)) return entry.reason;
  }
  throw Error(Errc::Usage, fmt::format("{}: unknown revocation reason '{}'", flag, text),
              fmt::format("use one of RFC 5280's names: {}", kRevocationReasonNames));
}

std::string_view revocation_reason_name(RevocationReason reason) {
  for (const ReasonName& entry : kReasons) {
    if (entry.reason == reason) return entry.name;
  }
  return "unspecified";
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  ossl::UniquePtr<BIGNUM> number(ASN1_INTEGER_to_BN(serial, nullptr));
  ossl::require(number != nullptr, "reading a serial number");
  return bignum_hex(number.get());
}

std::string serial_hex(X509* certificate) { return serial_hex(X509_get0_serialNumber(certificate)); }

std::string parse_serial(std::string_view text, std::string_view flag) {
  const std::string shown(text.substr(0, 80));
  const auto bad = [&](std::string_view why) {
    return Error(Errc::Usage, fmt::format("{}: '{}' is not a serial number: {}", flag, shown, why),
                 "give the serial in hexadecimal, as `openssl x509 -serial` or `krtool import` prints it");
  };
  std::string_view rest = text;
  if (rest.size() > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')) rest.remove_prefix(2);
  std::string digits;
  for (const char c : rest) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) throw bad(fmt::format("'{}' is not a hex digit", c));
    digits.push_back(util::upper(c));
    if (digits.size() > 2 * (kMaxSerialOctets + 1)) throw bad("longer than 20 octets");
  }
  if (digits.empty()) throw bad("it is empty");
  BIGNUM* raw = nullptr;
  ossl::require(BN_hex2bn(&raw, digits.c_str()) != 0, "reading a serial number");
  ossl::UniquePtr<BIGNUM> number(raw);
  if (BN_is_zero(number.get())) throw bad("serial numbers are positive");
  if (static_cast<size_t>(BN_num_bytes(number.get())) > kMaxSerialOctets) throw bad("longer than 20 octets");
  return bignum_hex(number.get());
}

ossl::UniquePtr<ASN1_INTEGER> serial_integer(std::string_view serial_hex) {
  const std::string digits(serial_hex);
  BIGNUM* raw = nullptr;
  ossl::require(BN_hex2bn(&raw, digits.c_str()) != 0, "reading a serial number");
  ossl::UniquePtr<BIGNUM> number(raw);
  ossl::UniquePtr<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  ossl::require(serial != nullptr, "encoding a serial number");
  return serial;
}

bool issued_by(X509* certificate, X509* ca) {
  if (X509_check_issued(ca, certificate) != X509_V_OK) return false;
  EVP_PKEY* key = X509_get0_pubkey(ca);
  const bool ok = key != nullptr && X509_verify(certificate, key) == 1;
  ossl::drain_errors();
  return ok;
}

std::string revocation_serial(std::string_view serial_or_file, X509* ca, std::string_view flag) {
  const std::filesystem::path path(serial_or_file);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return parse_serial(serial_or_file, flag);
  const auto certificates = formats::load_certificates(path);
  if (certificates.empty()) {
    throw Error(Errc::Input, fmt::format("{}: '{}' holds no certificate", flag, path.string()),
                "give the certificate file, or its serial number");
  }
  X509* certificate = certificates.front().get();
  if (!issued_by(certificate, ca)) {
    throw Error(
        Errc::Input,
        fmt::format("{}: '{}' ({}) was not issued by CA '{}'", flag, path.string(),
                    format_dn(X509_get_subject_name(certificate)), format_dn(X509_get_subject_name(ca))),
        fmt::format("its issuer is '{}'; revoke it with the CA that issued it",
                    format_dn(X509_get_issuer_name(certificate))));
  }
  return serial_hex(certificate);
}

}  // namespace krtool::cert
