// The chain engine: the one place krtool builds a certificate's chain to the anchors the user trusts
// and says what is wrong with it, every problem as .NET's X509Chain reports it (an X509ChainStatus
// name beside OpenSSL's reason). test-cert, the TLS layer, the certificate authentication scheme and
// test-client all ask it, and each turns its report into a verdict of its own (a test-cert reason,
// SslPolicyErrors, an authentication failure, a diagnosis).
//
// Trust comes only from the anchors the caller names (trust_store): certificates that came with the
// file under test or from a peer are candidate intermediates, never anchors, even when self-signed.
//
// The engine checks the chain (signatures, issuers, validity periods, CA constraints and, when asked,
// the leaf's revocation), not what the certificate is for: an extended key usage that does not fit is
// a problem (NotValidForUsage) only when the request names a purpose. test-cert and the
// authentication scheme check EKUs themselves, with Kestrun's rules; the TLS layer's verification
// carries OpenSSL's "SSL client" purpose, so there a client certificate without clientAuth is a chain
// problem, as it is in Kestrel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

// ChainProblem is one problem found while building a chain (.NET's X509ChainStatus).
struct ChainProblem {
  int error = 0;       // OpenSSL's X509_V_ERR_* code
  std::string status;  // .NET's X509ChainStatusFlags name ("UntrustedRoot"); "" when none is close
  // text is OpenSSL's reason with the depth and the certificate at fault, and its issuer when that is
  // what is missing: "unable to get local issuer certificate (depth 0, 'CN=dave', issued by 'CN=Dev CA')".
  std::string text;
};

// to_string gives "PartialChain: unable to get local issuer certificate (depth 0, ...)", or the text
// alone when .NET has no name for the problem.
std::string to_string(const ChainProblem& problem);

// dotnet_chain_status names the X509ChainStatusFlags that .NET reports for an X509_V_ERR_* code
// ("UntrustedRoot", "NotTimeValid", ...), or "" where there is no close match.
const char* dotnet_chain_status(int x509_error) noexcept;

// chain_problem is the one mapping from OpenSSL's verification error to a ChainProblem: `at_fault`
// (may be null) is the certificate at `depth` that the error is about.
ChainProblem chain_problem(int x509_error, int depth, X509* at_fault);

// chain_problem reads the error a verification callback is being told about (the error, depth and
// current certificate of `context`). For callers that receive OpenSSL's per-depth callback.
ChainProblem chain_problem(X509_STORE_CTX* context);

// add_distinct_problem appends `problem` unless one like it is there: problems with a .NET status are
// reported once per status (as X509Chain.ChainStatus is a set of flags; OpenSSL's "unable to verify
// the first certificate" after "unable to get local issuer certificate" says nothing new), the others
// once per text. Returns whether it was added.
bool add_distinct_problem(std::vector<ChainProblem>& problems, ChainProblem problem);

// validity_problem judges the certificate's own validity period at `at` as chain verification does
// (notBefore <= at <= notAfter): NotTimeValid with X509_V_ERR_CERT_NOT_YET_VALID or
// X509_V_ERR_CERT_HAS_EXPIRED, or nullopt. Error(Input) when a time cannot be read.
std::optional<ChainProblem> validity_problem(X509* certificate, TimePoint at);

// trust_store makes the store of trust anchors: exactly `trusted`, or the system's store when
// `trusted` is empty (the documented default of every flag that names trusted CAs).
ossl::UniquePtr<X509_STORE> trust_store(const std::vector<ossl::UniquePtr<X509>>& trusted);

struct ChainRequest {
  X509* certificate = nullptr;  // the leaf; borrowed
  // The anchors (trust_store), borrowed and never modified, so one store may serve concurrent
  // verifications. Ignored when leaf_is_anchor.
  X509_STORE* trust = nullptr;
  STACK_OF(X509) * untrusted = nullptr;  // candidate intermediates (may be null); never anchors
  // Non-null: the leaf, and only the leaf, is checked against these CRLs (.NET's EndCertificateOnly);
  // a leaf with no CRL from its issuer among them is a problem (revocation fails closed).
  const std::vector<ossl::UniquePtr<X509_CRL>>* crls = nullptr;
  std::optional<TimePoint> at;  // the verification time; default now
  int purpose = 0;              // X509_PURPOSE_SSL_CLIENT, ...; 0 checks no purpose
  // leaf_is_anchor trusts the leaf as its own anchor (Test-KrCertificate's treatment of a self-signed
  // certificate): its signature is still checked, its issuer is not looked for.
  bool leaf_is_anchor = false;
};

struct ChainReport {
  std::vector<ChainProblem> problems;        // distinct problems, in the order found
  std::vector<ossl::UniquePtr<X509>> chain;  // as built, leaf first, as far as OpenSSL got
  bool ok() const { return problems.empty(); }
};

// verify_chain builds and checks the chain. Verification continues past a problem, so that all of
// them are reported. Throws Error(Internal) only when OpenSSL cannot set up or run the verification.
ChainReport verify_chain(const ChainRequest& request);

// verify_prepared runs the engine on a verification context another layer prepared (the TLS layer's,
// which libssl fills with the peer's chain, the context's store and the handshake's purpose), with
// the same callback and mapping as verify_chain. It replaces the context's verify callback; the
// context keeps its error state, so a caller may then set the error it wants reported.
ChainReport verify_prepared(X509_STORE_CTX* context);

}  // namespace krtool::cert
