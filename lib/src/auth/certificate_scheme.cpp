#include "krtool/auth/certificate_scheme.hpp"

#include <fmt/format.h>
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "auth/claims.hpp"
#include "auth/crl_cache.hpp"
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

bool is_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  return url.size() > kScheme.size() && util::starts_with_ignoring_case(url, kScheme);
}

struct DistributionPoints {
  std::vector<std::string> http;   // what Online mode fetches
  std::vector<std::string> other;  // ldap://, file://, https://...: named in the failure, not fetched
};

DistributionPoints crl_distribution_points(X509* certificate) {
  DistributionPoints points;
  int critical = 0;
  ossl::UniquePtr<CRL_DIST_POINTS> extension(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(certificate, NID_crl_distribution_points, &critical, nullptr)));
  if (extension == nullptr) {
    if (critical == -1) return points;
    ossl::fail(Errc::Input, "reading the client certificate's CRL distribution points", kDamagedHint);
  }
  for (int i = 0; i < sk_DIST_POINT_num(extension.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(extension.get(), i);
    // A name relative to the CRL issuer (type 1) names no location to fetch from.
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
      (is_http_url(url) ? points.http : points.other).push_back(std::move(url));
    }
  }
  return points;
}

// OnlineCrls is what Online mode could gather for a leaf: its issuer's CRLs, or why there are none.
struct OnlineCrls {
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  std::optional<cert::ChainProblem> unknown;  // set when no CRL could be had
};

// unknown_revocation is the problem .NET reports when it cannot learn the leaf's revocation status;
// `offline` adds OfflineRevocation, for a distribution point that could not be reached.
cert::ChainProblem unknown_revocation(std::string why, bool offline) {
  return cert::ChainProblem{
      X509_V_ERR_UNABLE_TO_GET_CRL,
      offline ? "RevocationStatusUnknown, OfflineRevocation" : "RevocationStatusUnknown", std::move(why)};
}

// fetch_online_crls tries the leaf's http:// distribution points in order and stops at the first that
// yields a CRL. With none to try or none answering, .NET reports RevocationStatusUnknown (and
// OfflineRevocation when a server could not be reached); so do we, saying why.
OnlineCrls fetch_online_crls(X509* certificate, CrlCache& cache) {
  const DistributionPoints points = crl_distribution_points(certificate);
  OnlineCrls result;
  if (points.http.empty()) {
    result.unknown = unknown_revocation(
        points.other.empty()
            ? "the certificate names no CRL distribution point, so revocation mode Online cannot check it"
            : fmt::format("the certificate names no http:// CRL distribution point, only '{}', so revocation "
                          "mode Online cannot check it",
                          fmt::join(points.other, "', '")),
        false);
    return result;
  }
  std::vector<std::string> errors;
  for (const std::string& url : points.http) {
    try {
      result.crls = cache.crls(url);
      return result;
    } catch (const Error& error) {
      errors.push_back(error.what());
    }
  }
  result.unknown = unknown_revocation(fmt::format("{}", fmt::join(errors, "; ")), true);
  return result;
}

Failure chain_failure(const std::vector<cert::ChainProblem>& problems) {
  std::vector<std::string> described;
  for (const cert::ChainProblem& problem : problems) described.push_back(cert::to_string(problem));
  return kChainFailed + fmt::format("{}", fmt::join(described, ", "));  // as Kestrun joins them
}

// check_chain trusts the chain first and only then looks at revocation: a certificate that chains to
// no trusted root gets no CRL fetched on its behalf. The revocation check covers the leaf only, and
// not at all when the leaf is itself the trust anchor (.NET's ExcludeRoot leaves a root unchecked).
// The certificates the client sent are intermediates, never anchors.
Failure check_chain(X509* certificate, STACK_OF(X509) * chain, const CertificateSchemeOptions& options,
                    X509_STORE* trust, CrlCache& cache) {
  cert::ChainRequest request;
  request.certificate = certificate;
  request.trust = trust;
  request.untrusted = chain;
  const cert::ChainReport trusted = cert::verify_chain(request);
  if (!trusted.ok()) return chain_failure(trusted.problems);
  if (options.revocation_mode == RevocationMode::NoCheck || trusted.chain.size() <= 1) return std::nullopt;

  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  if (options.revocation_mode == RevocationMode::Offline) {
    for (const auto& crl : options.crls) crls.push_back(ossl::up_ref(crl.get()));
  } else {
    OnlineCrls online = fetch_online_crls(certificate, cache);
    if (online.unknown) return chain_failure({*online.unknown});
    crls = std::move(online.crls);
  }
  // Offline mode with no CRL from the leaf's issuer fails here too: revocation checking fails closed.
  request.crls = &crls;
  const cert::ChainReport revocation = cert::verify_chain(request);
  if (!revocation.ok()) return chain_failure(revocation.problems);
  return std::nullopt;
}

}  // namespace

CertificateScheme::CertificateScheme(CertificateSchemeOptions options)
    : options_(std::move(options)),
      trust_store_(cert::trust_store(options_.custom_trust_store)),
      crl_cache_(std::make_unique<CrlCache>(options_.crl_fetch_timeout, options_.crl_fetcher,
                                            options_.crl_cache_clock)) {}

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
      if (Failure failure = check_chain(certificate, chain, options_, trust_store_.get(), *crl_cache_))
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
