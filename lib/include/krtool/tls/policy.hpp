// The TLS layer's client-certificate decision. Once per handshake krtool builds the chain, turns the
// result into .NET's SslPolicyErrors, and then: without a policy only None is accepted; with a policy,
// the policy alone decides (Kestrel's semantics, reference §11).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/ossl.hpp"

namespace krtool {

// SslPolicyErrors is .NET's System.Net.Security.SslPolicyErrors, a flag enum.
enum class SslPolicyErrors : unsigned {
  None = 0,
  RemoteCertificateNotAvailable = 1,
  RemoteCertificateNameMismatch = 2,
  RemoteCertificateChainErrors = 4,
};
constexpr SslPolicyErrors operator|(SslPolicyErrors a, SslPolicyErrors b) {
  return static_cast<SslPolicyErrors>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr SslPolicyErrors operator&(SslPolicyErrors a, SslPolicyErrors b) {
  return static_cast<SslPolicyErrors>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
std::string to_string(SslPolicyErrors errors);  // "None", "RemoteCertificateChainErrors", "A, B"

}  // namespace krtool

namespace krtool::tls {

// ChainVerdict is what building the client's chain found, before any policy looked at it.
struct ChainVerdict {
  SslPolicyErrors errors = SslPolicyErrors::None;
  std::vector<std::string> reasons;  // OpenSSL's reasons with depth and subject, for the log
  int first_error = 0;               // X509_V_ERR_* of the first error, 0 when none
};

// ClientCertPolicy is a TLS validation callback: Kestrel's
// Func<X509Certificate2, X509Chain, SslPolicyErrors, bool>. It runs on the TLS threads once per
// handshake; implementations must be thread-safe and must not block.
class ClientCertPolicy {
 public:
  virtual ~ClientCertPolicy() = default;
  // name() is shown in the log and in warnings ("AllowSelfSignedForDevelopment").
  virtual std::string name() const = 0;
  // is_relaxed() says whether the policy accepts what strict validation would not (warned, loopback only).
  virtual bool is_relaxed() const = 0;
  // accepts() decides; `certificate` is null only when none was presented. A policy that throws
  // rejects the handshake; the exception's text is logged.
  virtual bool accepts(X509* certificate, STACK_OF(X509)* chain, SslPolicyErrors errors) const = 0;
};

// builtin_policy returns AllowAny, AllowSelfSignedForDevelopment or AllowMissingOrSelfSignedForDevelopment
// (case-insensitive), with exactly Kestrun's semantics; Error(Usage) listing them otherwise.
std::unique_ptr<ClientCertPolicy> builtin_policy(std::string_view name);
std::vector<std::string> builtin_policy_names();

}  // namespace krtool::tls
