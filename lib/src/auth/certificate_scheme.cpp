#include "krtool/auth/certificate_scheme.hpp"

#include <fmt/format.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>

#include "auth/chain_verification.hpp"
#include "auth/claims.hpp"
#include "auth/crl_cache.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/util/time.hpp"

namespace krtool::auth {
namespace {

// Failure is the reason a check said no; nullopt means it passed.
using Failure = std::optional<std::string>;

constexpr const char* kChainFailed = "Certificate chain validation failed: ";
constexpr const char* kDamagedHint = "the client certificate is damaged; re-issue it";

bool allows(AllowedCertificateTypes allowed, AllowedCertificateTypes type) {
  return (static_cast<int>(allowed) & static_cast<int>(type)) != 0;
}

// Kestrun compares the Subject and Issuer strings ordinally, so a certificate that another key
// signed under its own name counts as self-signed here too.
bool is_self_signed(X509* certificate) {
  return cert::format_dn(X509_get_subject_name(certificate)) ==
         cert::format_dn(X509_get_issuer_name(certificate));
}

bool within_validity_period(X509* certificate) {
  const TimePoint now = now_seconds();
  return from_asn1_time(X509_get0_notBefore(certificate), "the client certificate's notBefore") <= now &&
         now <= from_asn1_time(X509_get0_notAfter(certificate), "the client certificate's notAfter");
}

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
  return url.size() > kScheme.size() &&
         std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char expected, char actual) {
           return expected == std::tolower(static_cast<unsigned char>(actual));
         });
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
  std::string unknown_status;  // set when no CRL could be had
};

// fetch_online_crls tries the leaf's http:// distribution points in order and stops at the first that
// yields a CRL. With none to try or none answering, .NET reports RevocationStatusUnknown (and
// OfflineRevocation when a server could not be reached); so do we, saying why.
OnlineCrls fetch_online_crls(X509* certificate, CrlCache& cache) {
  const DistributionPoints points = crl_distribution_points(certificate);
  OnlineCrls result;
  if (points.http.empty()) {
    result.unknown_status =
        points.other.empty()
            ? "RevocationStatusUnknown (the certificate names no CRL distribution point, so revocation mode "
              "Online cannot check it)"
            : fmt::format(
                  "RevocationStatusUnknown (the certificate names no http:// CRL distribution point, "
                  "only '{}', so revocation mode Online cannot check it)",
                  fmt::format("{}", fmt::join(points.other, "', '")));
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
  result.unknown_status =
      fmt::format("RevocationStatusUnknown, OfflineRevocation ({})", fmt::join(errors, "; "));
  return result;
}

Failure chain_failure(const std::vector<std::string>& problems) {
  return kChainFailed + fmt::format("{}", fmt::join(problems, ", "));
}

// check_chain trusts the chain first and only then looks at revocation: a certificate that chains to
// no trusted root gets no CRL fetched on its behalf. The revocation check covers the leaf only, and
// not at all when the leaf is itself the trust anchor (.NET's ExcludeRoot leaves a root unchecked).
Failure check_chain(X509* certificate, STACK_OF(X509) * chain, const CertificateSchemeOptions& options,
                    X509_STORE* trust, CrlCache& cache) {
  const ChainReport trusted = verify_chain(trust, certificate, chain, nullptr);
  if (!trusted.ok()) return chain_failure(trusted.problems);
  if (options.revocation_mode == RevocationMode::NoCheck || trusted.length <= 1) return std::nullopt;

  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  if (options.revocation_mode == RevocationMode::Offline) {
    for (const auto& crl : options.crls) crls.push_back(ossl::up_ref(crl.get()));
  } else {
    OnlineCrls online = fetch_online_crls(certificate, cache);
    if (!online.unknown_status.empty()) return chain_failure({online.unknown_status});
    crls = std::move(online.crls);
  }
  // Offline mode with no CRL from the leaf's issuer fails here too: revocation checking fails closed.
  const ChainReport revocation = verify_chain(trust, certificate, chain, &crls);
  if (!revocation.ok()) return chain_failure(revocation.problems);
  return std::nullopt;
}

ossl::UniquePtr<X509_STORE> build_trust_store(const std::vector<ossl::UniquePtr<X509>>& custom_trust_store) {
  ossl::UniquePtr<X509_STORE> store(X509_STORE_new());
  ossl::require(store != nullptr, "allocating the authentication trust store");
  if (custom_trust_store.empty()) {
    ossl::require(X509_STORE_set_default_paths(store.get()) == 1, "loading the system trust store");
  }
  for (const auto& certificate : custom_trust_store) {
    ossl::require(X509_STORE_add_cert(store.get(), certificate.get()) == 1,
                  "adding a certificate to the authentication trust store");
  }
  return store;
}

}  // namespace

CertificateScheme::CertificateScheme(CertificateSchemeOptions options)
    : options_(std::move(options)),
      trust_store_(build_trust_store(options_.custom_trust_store)),
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
    const bool self_signed = is_self_signed(certificate);
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
