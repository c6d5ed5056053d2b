#include "krtool/tls/policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool {

std::string to_string(SslPolicyErrors errors) {
  if (errors == SslPolicyErrors::None) return "None";
  std::vector<std::string> names;
  auto has = [&](SslPolicyErrors flag) { return (errors & flag) == flag; };
  if (has(SslPolicyErrors::RemoteCertificateNotAvailable))
    names.emplace_back("RemoteCertificateNotAvailable");
  if (has(SslPolicyErrors::RemoteCertificateNameMismatch))
    names.emplace_back("RemoteCertificateNameMismatch");
  if (has(SslPolicyErrors::RemoteCertificateChainErrors)) names.emplace_back("RemoteCertificateChainErrors");
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace krtool

namespace krtool::tls {
namespace {

// The three callbacks of Kestrun's ClientCertificateValidationCallbacks, compared exactly as there:
// ChainErrors | NameMismatch is not ChainErrors, so it is refused.
class AllowAny final : public ClientCertPolicy {
 public:
  std::string name() const override { return "AllowAny"; }
  bool is_relaxed() const override { return true; }
  bool accepts(X509* certificate, const ChainVerdict&) const override { return certificate != nullptr; }
};

class AllowSelfSignedForDevelopment final : public ClientCertPolicy {
 public:
  std::string name() const override { return "AllowSelfSignedForDevelopment"; }
  bool is_relaxed() const override { return true; }
  bool accepts(X509* certificate, const ChainVerdict& chain) const override {
    return certificate != nullptr && (chain.errors == SslPolicyErrors::None ||
                                      chain.errors == SslPolicyErrors::RemoteCertificateChainErrors);
  }
};

class AllowMissingOrSelfSignedForDevelopment final : public ClientCertPolicy {
 public:
  std::string name() const override { return "AllowMissingOrSelfSignedForDevelopment"; }
  bool is_relaxed() const override { return true; }
  bool accepts(X509* certificate, const ChainVerdict& chain) const override {
    return certificate == nullptr || chain.errors == SslPolicyErrors::None ||
           chain.errors == SslPolicyErrors::RemoteCertificateChainErrors;
  }
};

using util::lower;

}  // namespace

std::vector<std::string> builtin_policy_names() {
  return {"AllowAny", "AllowSelfSignedForDevelopment", "AllowMissingOrSelfSignedForDevelopment"};
}

std::unique_ptr<ClientCertPolicy> builtin_policy(std::string_view name) {
  const std::string n = lower(name);
  if (n == "allowany") return std::make_unique<AllowAny>();
  if (n == "allowselfsignedfordevelopment") return std::make_unique<AllowSelfSignedForDevelopment>();
  if (n == "allowmissingorselfsignedfordevelopment")
    return std::make_unique<AllowMissingOrSelfSignedForDevelopment>();
  throw Error(Errc::Usage, fmt::format("--client-cert-validation: unknown built-in callback '{}'", name),
              fmt::format("choose one of {}", fmt::join(builtin_policy_names(), ", ")));
}

}  // namespace krtool::tls
