// The --policy grammar 'NAME: RULE; RULE…' (auth/authorization_policy.hpp), also the rule lists of a
// config's "policies". A policy that parses prints back, as its name and normalized rules, to a text
// that parses to the same print; and both judge a real client certificate and its principal alike.
#include <fmt/format.h>

#include <cstdlib>
#include <optional>

#include "auth/claims.hpp"
#include "fuzz_input.hpp"
#include "krtool/auth/authorization_policy.hpp"
#include "krtool/cert/builder.hpp"

namespace {

using krtool::auth::AuthorizationPolicy;
using krtool::auth::PolicyVerdict;

// A client with something for every rule kind: a subject of several attributes, a CA issuer, DNS,
// e-mail and URI names, clientAuth, and the claims the certificate scheme makes.
struct Client {
  krtool::cert::CertBundle ca = [] {
    krtool::cert::CertificateSpec spec;
    spec.subject = "CN=Fuzz CA, O=Acme";
    spec.key.type = krtool::cert::KeyType::Ecdsa;
    spec.is_ca = true;
    return krtool::cert::create_certificate(spec);
  }();
  krtool::cert::CertBundle bundle = [this] {
    krtool::cert::CertificateSpec spec;
    spec.subject = "CN=olga, OU=ops, O=Acme, C=US";
    spec.names = {"olga.ops.acme.test", "olga@acme.test", "spiffe://acme.test/ops/olga"};
    spec.purpose = krtool::cert::Purpose::Client;
    spec.key.type = krtool::cert::KeyType::Ecdsa;
    return krtool::cert::create_certificate(spec, &ca);
  }();
  krtool::auth::Principal principal = krtool::auth::make_principal(bundle.certificate.get(), "Certificate");
};

std::string print(const AuthorizationPolicy& policy) {
  return fmt::format("{}: {}", policy.name(), fmt::join(policy.rules(), "; "));
}

bool same(const PolicyVerdict& a, const PolicyVerdict& b) {
  if (a.policy != b.policy || a.rules.size() != b.rules.size()) return false;
  for (size_t i = 0; i < a.rules.size(); ++i) {
    if (a.rules[i].rule != b.rules[i].rule || a.rules[i].passed != b.rules[i].passed ||
        a.rules[i].detail != b.rules[i].detail)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Client client;
  std::optional<AuthorizationPolicy> policy;
  krtool::fuzz::rejecting(
      [&] { policy.emplace(krtool::auth::parse_policy(krtool::fuzz::text_of(data, size))); });
  if (!policy) return 0;
  // What krtool prints of a policy is itself a policy (an Error here escapes, and is a finding):
  // parsing it again gives the same text...
  const std::string printed = print(*policy);
  const AuthorizationPolicy again = krtool::auth::parse_policy(printed);
  if (print(again) != printed) std::abort();
  // ...and the same verdicts, with a certificate and without one.
  X509* certificate = client.bundle.certificate.get();
  if (!same(policy->evaluate(certificate, client.principal), again.evaluate(certificate, client.principal)))
    std::abort();
  if (!same(policy->evaluate(nullptr, {}), again.evaluate(nullptr, {}))) std::abort();
  return 0;
}
