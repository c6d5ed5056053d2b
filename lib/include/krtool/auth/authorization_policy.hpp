// Authorization after certificate authentication: ASP.NET Core's authorization step, which Kestrun
// routes use. A named policy is a list of rules over the authenticated principal and its certificate;
// all must pass. A route names one policy; an authenticated request that fails it is answered 403.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/ossl.hpp"

namespace krtool::auth {

// A rule is written `KIND ARGUMENT`; the connecting word in brackets may be left out:
//   issuer [is] DN                       the issuer is exactly DN (.NET spelling, "CN=Dev CA, O=Acme";
//                                        attribute order does not matter)
//   subject [matches] ATTR=VALUE[, …]    the subject has every ATTR=VALUE given (exact values)
//   thumbprint [in] HEX[, HEX…]          the SHA-1 thumbprint is one of these (.NET Thumbprint)
//   pin [in] sha256//BASE64[, …]         the SHA-256 of the public key (SPKI) is one of these (HPKP,
//                                        curl --pinnedpubkey)
//   san [matches] KIND:PATTERN[, …]      a subject alternative name matches one pattern: dns:NAME (a
//                                        leading "*." matches one label), email:ADDRESS, uri:URI
//   eku NAME|OID[, …]                    every extended key usage is present (clientAuth, serverAuth,
//                                        codeSigning, emailProtection, or a dotted OID)
//   claim TYPE=VALUE                     the principal has the claim; TYPE is the claim type, or its last
//                                        path segment ("name" for .../claims/name)
struct RuleVerdict {
  std::string rule;  // as written, normalized: "subject O=Acme"
  bool passed = false;
  std::string detail;  // why it failed ("the certificate's subject has O=Other"), or what matched
};

struct PolicyVerdict {
  std::string policy;
  std::vector<RuleVerdict> rules;  // every rule, evaluated
  bool authorized() const;
  // failure names the first rule that failed: "policy ops: subject O=Acme: the certificate's subject has
  // O=Other"; "" when authorized.
  std::string failure() const;
};

class AuthorizationRule;  // one parsed rule

class AuthorizationPolicy {
 public:
  // `origin` names where the policy came from in errors ("--policy", "config 'x.json' policies.ops").
  // Error(Usage) names the policy, the rule and the fix; an unknown rule kind gets a did-you-mean.
  AuthorizationPolicy(std::string name, const std::vector<std::string>& rules, std::string_view origin);
  ~AuthorizationPolicy();
  AuthorizationPolicy(AuthorizationPolicy&&) noexcept;

  const std::string& name() const { return name_; }
  std::vector<std::string> rules() const;  // normalized texts, in order

  // evaluate runs every rule (so that a dry run can show them all) on an authenticated principal and
  // its certificate; thread-safe.
  PolicyVerdict evaluate(X509* certificate, const Principal& principal) const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<const AuthorizationRule>> rules_;
};

// parse_policy reads the --policy grammar 'NAME: RULE; RULE…'.
AuthorizationPolicy parse_policy(std::string_view spec, std::string_view origin = "--policy");

// policy_rule_kinds are the rule names, for help and did-you-mean.
const std::vector<std::string>& policy_rule_kinds();

// spki_pin is "sha256//BASE64" of the certificate's public key, as curl --pinnedpubkey takes it.
std::string spki_pin(X509* certificate);

}  // namespace krtool::auth
