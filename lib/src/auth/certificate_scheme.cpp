#include "krtool/auth/certificate_scheme.hpp"

#include <fmt/format.h>
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "auth/claims.hpp"
#include "auth/crl_files.hpp"
#include "auth/online_revocation.hpp"
#include "krtool/cert/chain.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/util/time.hpp"
#include "util/text.hpp"

namespace krtool::auth {
namespace {

// Failure is the reason a check said no; nullopt means it passed.
using Failure = std::optional<std::string>;

constexpr const char* kChainFailed = "Certificate chain validation failed: ";
constexpr const char* kDamagedHint = "the client certificate is damaged; re-issue it";

bool allows(AllowedCertificateTypes allowed, AllowedCertificateTypes type) {
  return (static_cast<int>(allowed) & static_cast<int>(type)) != 0;
}

bool within_validity_period(X509* certificate) { return !cert::validity_problem(certificate, now_seconds()); }

// Kestrun demands the clientAuth EKU and, stricter than ASP.NET, rejects a certificate without any.
bool has_client_authentication_usage(X509* certificate) {
  int critical = 0;
  ossl::UniquePtr<EXTENDED_KEY_USAGE> usage(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(certificate, NID_ext_key_usage, &critical, nullptr)));
  if (usage == nullptr) {
    if (critical == -1) return false;  // no EKU extension at all
    ossl::fail(Errc::Input, "reading the client certificate's extended key usage", kDamagedHint);
  }
  for (int i = 0; i < sk_ASN1_OBJECT_num(usage.get()); ++i) {
    if (OBJ_obj2nid(sk_ASN1_OBJECT_value(usage.get(), i)) == NID_client_auth) return true;
  }
  return false;
}

Failure chain_failure(const std::vector<cert::ChainProblem>& problems) {
  std::vector<std::string> described;
  for (const cert::ChainProblem& problem : problems) described.push_back(cert::to_string(problem));
  return kChainFailed + fmt::format("{}", fmt::join(described, ", "));  // as Kestrun joins them
}

// check_chain trusts the chain first and only then looks at revocation: a certificate that chains to
// no trusted root gets no OCSP or CRL fetched on its behalf. The revocation check covers the leaf only,
// and not at all when the leaf is itself the trust anchor (.NET's ExcludeRoot leaves a root unchecked).
// The certificates the client sent are intermediates, never anchors. `revocation` receives where the
// status came from.
Failure check_chain(X509* certificate, STACK_OF(X509) * chain, const CertificateSchemeOptions& options,
                    X509_STORE* trust, OnlineRevocation& online, CrlFiles* crl_files,
                    std::string& revocation) {
  cert::ChainRequest request;
  request.certificate = certificate;
  request.trust = trust;
  request.untrusted = chain;
  const cert::ChainReport trusted = cert::verify_chain(request);
  if (!trusted.ok()) return chain_failure(trusted.problems);
  if (options.revocation_mode == RevocationMode::NoCheck || trusted.chain.size() <= 1) return std::nullopt;

  if (options.revocation_mode == RevocationMode::Online) {
    RevocationOutcome outcome = online.check(request, trusted.chain[1].get());
    revocation = std::move(outcome.source);
    if (outcome.problem) return chain_failure({*outcome.problem});
    return std::nullopt;
  }
  // Offline mode with no CRL from the leaf's issuer fails here too: revocation checking fails closed.
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  if (crl_files != nullptr) {
    crls = crl_files->current();
  } else {
    for (const auto& crl : options.crls) crls.push_back(ossl::up_ref(crl.get()));
  }
  request.crls = &crls;
  const cert::ChainReport revocation_report = cert::verify_chain(request);
  revocation = "CRL files (--crl)";
  if (!revocation_report.ok()) return chain_failure(revocation_report.problems);
  return std::nullopt;
}

}  // namespace

CertificateScheme::CertificateScheme(CertificateSchemeOptions options)
    : options_(std::move(options)),
      trust_store_(cert::trust_store(options_.custom_trust_store)),
      online_(std::make_unique<OnlineRevocation>(options_.revocation_fetch_timeout,
                                                 options_.revocation_fetcher, options_.revocation_clock)) {
  if (options_.revocation_mode == RevocationMode::Offline && !options_.crl_files.empty()) {
    crl_files_ = std::make_unique<CrlFiles>(options_.crl_files, options_.crl_log, options_.revocation_clock);
  }
}

CertificateScheme::~CertificateScheme() = default;
CertificateScheme::CertificateScheme(CertificateScheme&&) noexcept = default;

AuthResult CertificateScheme::authenticate(X509* certificate, STACK_OF(X509) * chain) const {
  AuthResult result;
  if (certificate == nullptr) return result;  // NoResult: a protected route challenges with 401

  const auto fail = [&result](std::string reason) {
    result.outcome = AuthResult::Outcome::Failure;
    result.failure = std::move(reason);
    return result;
  };
  try {
    const bool self_signed = cert::self_signed_by_name(certificate);
    if (self_signed && !allows(options_.allowed_types, AllowedCertificateTypes::SelfSigned))
      return fail("Certificate type not allowed: SelfSigned");
    if (!self_signed && !allows(options_.allowed_types, AllowedCertificateTypes::Chained))
      return fail("Certificate type not allowed: Chained");

    if (options_.validate_validity_period && !within_validity_period(certificate))
      return fail("Certificate is not within its validity period");

    if (options_.validate_certificate_use && !has_client_authentication_usage(certificate))
      return fail("Certificate does not have Client Authentication usage");

    const bool skip_chain = self_signed && options_.custom_trust_store.empty() &&
                            allows(options_.allowed_types, AllowedCertificateTypes::SelfSigned);
    if (!skip_chain) {
      if (Failure failure = check_chain(certificate, chain, options_, trust_store_.get(), *online_,
                                        crl_files_.get(), result.revocation))
        return fail(std::move(*failure));
    }

    result.outcome = AuthResult::Outcome::Success;
    result.principal = make_principal(certificate, options_.name);
    return result;
  } catch (const std::exception& error) {
    ossl::drain_errors();
    return fail(fmt::format("Exception during authentication: {}", error.what()));
  }
}

std::vector<std::string> CertificateScheme::relaxations() const {
  std::vector<std::string> relaxed;
  if (options_.allowed_types != AllowedCertificateTypes::Chained)
    relaxed.push_back("allowed certificate types " + to_string(options_.allowed_types));
  if (options_.revocation_mode == RevocationMode::NoCheck) relaxed.push_back("revocation mode NoCheck");
  if (!options_.validate_certificate_use) relaxed.push_back("certificate use not validated");
  if (!options_.validate_validity_period) relaxed.push_back("validity period not validated");
  return relaxed;
}

}  // namespace krtool::auth
