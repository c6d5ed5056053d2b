// The HTTP layer's certificate authentication: Kestrun's ClientCertificateAuthHandler (reference §7).
// No certificate → no result (a protected route then answers 401); otherwise the checks in order
// (allowed type, validity, client-auth EKU, chain with revocation), and claims on success.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::auth {

enum class AllowedCertificateTypes { Chained = 1, SelfSigned = 2, All = 3 };
enum class RevocationMode { NoCheck = 0, Online = 1, Offline = 2 };

// parse_* accept the .NET spelling case-insensitively as well as the short one; Error(Usage) names `flag`.
AllowedCertificateTypes parse_allowed_types(std::string_view text,
                                            std::string_view flag = "--allowed-certificate-types");
RevocationMode parse_revocation_mode(std::string_view text, std::string_view flag = "--revocation-mode");
// *_words list every word the parser accepts: the short spellings, then the .NET ones. The --config
// reader and the shell completions offer exactly these.
std::vector<std::string> allowed_types_words();
std::vector<std::string> revocation_mode_words();
std::string to_string(AllowedCertificateTypes types);  // "Chained", "SelfSigned", "All"
std::string to_string(RevocationMode mode);            // "NoCheck", "Online", "Offline"

// CrlFetcher is how Online mode gets the CRL at a distribution point: the status and body of an HTTP
// GET of `url` (an http:// URL) within `timeout`, or Error(Network) when no answer came. The default
// is a plain HTTP GET; the unit tests answer from memory, and an application could read a local mirror.
struct CrlResponse {
  int status = 0;
  std::string body;
};
using CrlFetcher = std::function<CrlResponse(const std::string& url, std::chrono::milliseconds timeout)>;

struct CertificateSchemeOptions {
  std::string name = "Certificate";
  AllowedCertificateTypes allowed_types = AllowedCertificateTypes::Chained;
  bool validate_certificate_use = true;
  bool validate_validity_period = true;
  RevocationMode revocation_mode = RevocationMode::Online;
  std::vector<ossl::UniquePtr<X509>> custom_trust_store;  // empty: the system store
  std::vector<ossl::UniquePtr<X509_CRL>> crls;            // used in Offline mode
  std::chrono::milliseconds crl_fetch_timeout{5000};      // Online mode, per distribution point
  CrlFetcher crl_fetcher;                                 // Online mode; empty: an HTTP GET
  // What time it is for the CRL cache, which keeps a fetched CRL until its nextUpdate; empty: the
  // system clock. The chain itself is always checked at the system's time.
  std::function<TimePoint()> crl_cache_clock;
};

struct Claim {
  std::string type;
  std::string value;
};

// Principal is the authenticated user: Identity.AuthenticationType (the scheme), Identity.Name (the
// subject DN) and the claims.
struct Principal {
  std::string authentication_type;
  std::string name;
  std::vector<Claim> claims;
};

struct AuthResult {
  enum class Outcome { NoResult, Success, Failure };
  Outcome outcome = Outcome::NoResult;
  Principal principal;  // on Success
  std::string failure;  // on Failure: Kestrun's message, e.g. "Certificate type not allowed: SelfSigned"
};

// The claim types, as ASP.NET names them.
inline constexpr const char* kNameIdentifierClaim =
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";
inline constexpr const char* kNameClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

class CrlCache;  // Online mode: CRLs fetched from the distribution points, cached until nextUpdate

class CertificateScheme {
 public:
  explicit CertificateScheme(CertificateSchemeOptions options);
  ~CertificateScheme();
  CertificateScheme(CertificateScheme&&) noexcept;

  // authenticate runs the handler's checks; thread-safe. `chain` is what the client sent (may be null).
  AuthResult authenticate(X509* certificate, STACK_OF(X509) * chain) const;

  const CertificateSchemeOptions& options() const { return options_; }
  const std::string& name() const { return options_.name; }

  // relaxations lists the settings weaker than the defaults, for the start-up warning
  // ("allowed certificate types All", "revocation mode NoCheck", ...).
  std::vector<std::string> relaxations() const;

 private:
  CertificateSchemeOptions options_;
  // The trust anchors, built once: the custom trust store's certificates or the system store. Shared
  // read-only by concurrent verifications; CRLs are given per verification, never added to it.
  ossl::UniquePtr<X509_STORE> trust_store_;
  std::unique_ptr<CrlCache> crl_cache_;
};

}  // namespace krtool::auth
