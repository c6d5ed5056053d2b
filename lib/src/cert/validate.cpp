#include "krtool/cert/validate.hpp"

#include <fmt/format.h>
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "krtool/cert/chain.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::cert {
namespace {

// Failure is the reason a check gave for saying no; nullopt means the check passed.
using Failure = std::optional<std::string>;

constexpr const char* kOutsideValidity = "Certificate is outside validity period.";
constexpr const char* kSelfSignedDenied = "Self-signed certificates are denied by policy.";
constexpr const char* kChainFailed = "Certificate chain validation failed:";
constexpr const char* kPurposeMismatch = "EKU purpose mismatch.";
constexpr const char* kDamagedHint = "the certificate is damaged; re-issue it or export it again";

std::string subject_of(X509* certificate) { return format_dn(X509_get_subject_name(certificate)); }

std::string oid_text(const ASN1_OBJECT* object) {
  const int length = OBJ_obj2txt(nullptr, 0, object, 1);
  ossl::require(length > 0, "reading an object identifier", Errc::Input);
  std::string text(static_cast<size_t>(length) + 1, '\0');
  ossl::require(OBJ_obj2txt(text.data(), length + 1, object, 1) == length, "reading an object identifier",
                Errc::Input);
  text.resize(static_cast<size_t>(length));
  return text;
}

std::vector<std::string> eku_oids(X509* certificate) {
  int critical = 0;
  ossl::UniquePtr<EXTENDED_KEY_USAGE> usage(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(certificate, NID_ext_key_usage, &critical, nullptr)));
  if (usage == nullptr) {
    if (critical == -1) return {};  // the certificate has no EKU extension
    ossl::fail(Errc::Input, "reading the certificate's extended key usage", kDamagedHint);
  }
  std::vector<std::string> oids;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usage.get()); ++i) {
    oids.push_back(oid_text(sk_ASN1_OBJECT_value(usage.get(), i)));
  }
  return oids;
}

std::vector<std::string> friendly_names(const std::vector<std::string>& oids) {
  std::vector<std::string> names;
  for (const std::string& oid : oids) names.push_back(eku_friendly_name(oid));
  return names;
}

// weak_algorithm_findings lists what makes the certificate weak: a SHA-1 or MD5 signature, an RSA or
// DSA key under 2048 bits, an EC key under 256 bits. Ed25519 and Ed448 are never weak.
std::vector<std::string> weak_algorithm_findings(X509* certificate) {
  std::vector<std::string> findings;
  int digest = NID_undef;
  // X509_get_signature_info also sees through RSA-PSS parameters; it says 0 for signatures it
  // cannot describe, which the chain check rejects anyway.
  if (X509_get_signature_info(certificate, &digest, nullptr, nullptr, nullptr) == 1) {
    const char* algorithm = OBJ_nid2ln(X509_get_signature_nid(certificate));
    const std::string signature = algorithm != nullptr ? algorithm : "unknown algorithm";
    if (digest == NID_sha1) findings.push_back(fmt::format("SHA-1 signature ({})", signature));
    if (digest == NID_md5 || digest == NID_md5_sha1 || digest == NID_md4 || digest == NID_md2) {
      findings.push_back(fmt::format("{} signature ({})", OBJ_nid2sn(digest), signature));
    }
  }
  ossl::drain_errors();

  EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr) ossl::fail(Errc::Input, "reading the certificate's public key", kDamagedHint);
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      if (bits < 2048) findings.push_back(fmt::format("RSA key size {} < 2048", bits));
      break;
    case EVP_PKEY_DSA:
      if (bits < 2048) findings.push_back(fmt::format("DSA key size {} < 2048", bits));
      break;
    case EVP_PKEY_EC:
      if (bits < 256) findings.push_back(fmt::format("EC key size {} < 256", bits));
      break;
    default:
      break;
  }
  return findings;
}

Failure check_validity(X509* certificate, TimePoint at) {
  const std::optional<ChainProblem> problem = validity_problem(certificate, at);
  if (!problem) return std::nullopt;
  if (problem->error == X509_V_ERR_CERT_NOT_YET_VALID) {
    return fmt::format(
        "{} (not valid before {})", kOutsideValidity,
        format_rfc3339(from_asn1_time(X509_get0_notBefore(certificate), "the certificate's notBefore")));
  }
  return fmt::format(
      "{} (expired {})", kOutsideValidity,
      format_rfc3339(from_asn1_time(X509_get0_notAfter(certificate), "the certificate's notAfter")));
}

struct ChainOutcome {
  Failure failure;
  std::vector<std::string> subjects;  // leaf first, as far as OpenSSL got
};

// check_chain is Test-KrCertificate's chain step, on the chain engine: the anchors are the trust CAs
// (the system store when none is given), every other certificate given is an untrusted intermediate,
// and a self-signed certificate under test is trusted as itself when no trust CA is named (as
// Test-KrCertificate does); once the user names the CAs to trust, it must be one of them.
ChainOutcome check_chain(X509* certificate, bool self_signed, const ValidationOptions& options,
                         TimePoint at) {
  ossl::UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  ossl::require(untrusted != nullptr, "allocating a certificate list");
  for (const auto& member : options.chain) {
    ossl::UniquePtr<X509> intermediate = ossl::up_ref(member.get());
    ossl::require(sk_X509_push(untrusted.get(), intermediate.get()) > 0, "collecting the intermediates");
    intermediate.release();  // the stack owns it now
  }
  ossl::UniquePtr<X509_STORE> anchors;
  ChainRequest request;
  request.certificate = certificate;
  request.untrusted = untrusted.get();
  request.at = at;
  request.leaf_is_anchor = self_signed && options.trust_ca.empty();
  if (!request.leaf_is_anchor) {
    anchors = trust_store(options.trust_ca);
    request.trust = anchors.get();
  }
  if (options.check_revocation) request.crls = &options.crls;

  const ChainReport report = verify_chain(request);
  ChainOutcome outcome;
  for (const auto& member : report.chain) outcome.subjects.push_back(subject_of(member.get()));
  if (outcome.subjects.empty()) outcome.subjects.push_back(subject_of(certificate));
  if (!report.ok()) {
    std::vector<std::string> problems;
    for (const ChainProblem& problem : report.problems) problems.push_back(to_string(problem));
    outcome.failure = fmt::format("{} {}", kChainFailed, fmt::join(problems, "; "));
  }
  return outcome;
}

Failure check_purposes(const std::vector<std::string>& certificate_oids, const ValidationOptions& options) {
  if (options.expected_purposes.empty()) return std::nullopt;
  const auto has = [&](const std::string& oid) {
    return std::find(certificate_oids.begin(), certificate_oids.end(), oid) != certificate_oids.end();
  };
  const auto expected = [&](const std::string& oid) {
    return std::find(options.expected_purposes.begin(), options.expected_purposes.end(), oid) !=
           options.expected_purposes.end();
  };
  bool matches = std::all_of(options.expected_purposes.begin(), options.expected_purposes.end(), has);
  if (options.strict_purpose)
    matches = matches && std::all_of(certificate_oids.begin(), certificate_oids.end(), expected);
  if (matches) return std::nullopt;
  return fmt::format(
      "{} (expected {}{}; certificate has {})", kPurposeMismatch, options.strict_purpose ? "exactly " : "",
      fmt::format("{}", fmt::join(friendly_names(options.expected_purposes), ", ")),
      certificate_oids.empty() ? "no EKU"
                               : fmt::format("{}", fmt::join(friendly_names(certificate_oids), ", ")));
}

bool is_dotted_oid(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  if (text.find("..") != std::string_view::npos || text.find('.') == std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

ValidationResult validate_certificate(X509* certificate, const ValidationOptions& options) {
  if (certificate == nullptr) throw Error(Errc::Internal, "validate_certificate was given no certificate");
  const TimePoint at = options.at.value_or(now_seconds());

  ValidationResult result;
  result.subject = subject_of(certificate);
  result.thumbprint = thumbprint(certificate);
  const std::vector<std::string> oids = eku_oids(certificate);
  result.purposes = friendly_names(oids);
  result.chain = {result.subject};
  const bool self_signed = self_signed_by_name(certificate);
  const std::vector<std::string> weaknesses = weak_algorithm_findings(certificate);

  const auto invalid = [&result](std::string reason) {
    result.reason = std::move(reason);
    return result;
  };

  if (Failure failure = check_validity(certificate, at)) return invalid(*failure);
  if (options.deny_self_signed && self_signed) return invalid(kSelfSignedDenied);
  const bool skip_chain = self_signed && !weaknesses.empty() && options.allow_weak_algorithms;
  if (!skip_chain) {
    ChainOutcome chain = check_chain(certificate, self_signed, options, at);
    result.chain = std::move(chain.subjects);
    if (chain.failure) return invalid(*chain.failure);
  }
  if (Failure failure = check_purposes(oids, options)) return invalid(*failure);
  if (!options.allow_weak_algorithms && !weaknesses.empty())
    return invalid(fmt::format("{}", fmt::join(weaknesses, "; ")));

  result.valid = true;
  return result;
}

std::vector<std::string> certificate_purposes(X509* certificate) {
  return friendly_names(eku_oids(certificate));
}

std::string parse_expected_purpose(std::string_view text, std::string_view flag) {
  const std::string name = util::lower(text);
  if (name == "server" || name == "serverauth" || name == "server authentication") return kServerAuthOid;
  if (name == "client" || name == "clientauth" || name == "client authentication") return kClientAuthOid;
  if (is_dotted_oid(text)) {
    ossl::UniquePtr<ASN1_OBJECT> object(OBJ_txt2obj(std::string(text).c_str(), 1));
    if (object != nullptr) return oid_text(object.get());
    ossl::drain_errors();
  }
  throw Error(Errc::Usage, fmt::format("{}: '{}' is not a purpose", flag, text),
              "use server, client, or an EKU object identifier such as 1.3.6.1.5.5.7.3.3");
}

nlohmann::json to_json(const ValidationResult& result) {
  return nlohmann::json{
      {"valid", result.valid},
      {"reason", result.reason},
      {"purposes", result.purposes},
      {"chain", result.chain},
      {"certificate", {{"subject", result.subject}, {"thumbprint", result.thumbprint}}},
  };
}

}  // namespace krtool::cert
