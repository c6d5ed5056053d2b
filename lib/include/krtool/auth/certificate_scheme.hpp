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

// RevocationFetcher is how Online mode asks the network: a POST of an OCSP request to the responder
// named in the certificate's AIA (method "POST", content type application/ocsp-request), or a GET of
// the CRL at a distribution point (method "GET", no body). It returns the status and body of the
// answer within `timeout`, or throws Error(Network) when no answer came. The default is the plain HTTP
// client (http://, no redirects, bodies over 16 MiB refused); the unit tests answer from memory.
struct RevocationRequest {
  std::string url;
  std::string method = "GET";
  std::string body;
  std::string content_type;
};
struct RevocationResponse {
  int status = 0;
  std::string body;
};
using RevocationFetcher =
    std::function<RevocationResponse(const RevocationRequest& request, std::chrono::milliseconds timeout)>;

struct CertificateSchemeOptions {
  std::string name = "Certificate";
  AllowedCertificateTypes allowed_types = AllowedCertificateTypes::Chained;
  bool validate_certificate_use = true;
  bool validate_validity_period = true;
  RevocationMode revocation_mode = RevocationMode::Online;
  std::vector<ossl::UniquePtr<X509>> custom_trust_store;  // empty: the system store
  std::vector<ossl::UniquePtr<X509_CRL>> crls;            // used in Offline mode
  // Offline mode, instead of `crls`: the files, read again when one changes on disk (at most once a
  // second), so that a newly published CRL counts without a restart; `crl_log` hears why a changed
  // file was not taken (the previous CRLs stay).
  std::vector<std::string> crl_files;
  std::function<void(const std::string&)> crl_log;
  // Online mode: the time one OCSP responder or distribution point may take, and how it is asked
  // (empty: the plain HTTP client).
  std::chrono::milliseconds revocation_fetch_timeout{5000};
  RevocationFetcher revocation_fetcher;
  // What time it is for Online mode: the caches keep an answer until its nextUpdate, and an OCSP
  // answer is judged fresh or stale by it. Empty: the system clock. The chain itself is always checked
  // at the system's time.
  std::function<TimePoint()> revocation_clock;
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
  // Where the revocation status came from, when one was sought: "OCSP at http://..., good, cached until
  // 2026-12-05T13:00:00Z", "CRL at http://..., ...", "CRL files". Empty when none was checked.
  std::string revocation;
};

// The claim types, as ASP.NET names them.
inline constexpr const char* kNameIdentifierClaim =
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";
inline constexpr const char* kNameClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

class OnlineRevocation;  // Online mode: OCSP answers and CRLs fetched, cached until nextUpdate
class CrlFiles;          // Offline mode: the CRL files, re-read when they change

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
  std::unique_ptr<OnlineRevocation> online_;
  std::unique_ptr<CrlFiles> crl_files_;  // when options_.crl_files is given
};

}  // namespace krtool::auth
