// The TLS layer's client-certificate decision. Once per handshake krtool builds the chain, turns the
// result into .NET's SslPolicyErrors, and then: without a policy only None is accepted; with a policy,
// the policy alone decides (Kestrel's semantics, reference §11).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/cert/chain.hpp"
#include "krtool/ossl.hpp"
#include "krtool/validation.hpp"

namespace krtool {

// SslPolicyErrors itself is defined in validation.hpp, which validation code includes on its own.
std::string to_string(SslPolicyErrors errors);  // "None", "RemoteCertificateChainErrors", "A, B"

}  // namespace krtool

namespace krtool::tls {

// ChainVerdict is the TLS layer's reading of the chain engine's report on the client's chain, before
// any policy looked at it: the problems as SslPolicyErrors, and the problems themselves.
struct ChainVerdict {
  SslPolicyErrors errors = SslPolicyErrors::None;
  std::vector<cert::ChainProblem> problems;  // one per distinct problem, in the order found
  STACK_OF(X509) * chain = nullptr;          // as built, leaf first; borrowed for the policy's call
};

// ClientCertPolicy is a TLS validation callback: Kestrel's
// Func<X509Certificate2, X509Chain, SslPolicyErrors, bool>. It runs once per handshake, inside it;
// implementations must be thread-safe.
class ClientCertPolicy {
 public:
  virtual ~ClientCertPolicy() = default;
  // name() is shown in the log and in warnings ("AllowSelfSignedForDevelopment").
  virtual std::string name() const = 0;
  // is_relaxed() says whether the policy accepts what strict validation would not (warned, loopback only).
  virtual bool is_relaxed() const = 0;
  // accepts() decides; `certificate` is null only when none was presented. A policy that throws
  // rejects the handshake; the exception's text is logged.
  virtual bool accepts(X509* certificate, const ChainVerdict& chain) const = 0;
  // is_validation_code() says whether accepts() runs code krtool does not control, which the TLS layer
  // then calls on a worker thread and waits for at most ServerTlsOptions::validation_deadline; the
  // server runs such handshakes off its event loops, so that the wait never stalls other connections.
  virtual bool is_validation_code() const { return false; }
};

// builtin_policy returns AllowAny, AllowSelfSignedForDevelopment or AllowMissingOrSelfSignedForDevelopment
// (case-insensitive), with exactly Kestrun's semantics; Error(Usage) listing them otherwise.
std::unique_ptr<ClientCertPolicy> builtin_policy(std::string_view name);
std::vector<std::string> builtin_policy_names();

}  // namespace krtool::tls
