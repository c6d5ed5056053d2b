// An issuer check: the server trusts several CAs (--trust-ca for each), but this endpoint takes client
// certificates from one of them only, and only with the clientAuth usage. A whole file.
#include <krtool/validation.hpp>
#include <string>

namespace {

constexpr const char* kTeamCa = "CN=Sample Team CA, O=krtool samples";
constexpr const char* kClientAuth = "1.3.6.1.5.5.7.3.2";

}  // namespace

bool validate(const krtool::Certificate* certificate, const krtool::Chain& chain,
              krtool::SslPolicyErrors sslPolicyErrors) {
  if (certificate == nullptr) return true;  // allow mode
  if (sslPolicyErrors != krtool::SslPolicyErrors::None) return false;
  // chain[1] is the issuer the chain was built through; its subject is the leaf's issuer name.
  return chain.size() >= 2 && chain[1].subject() == kTeamCa && certificate->issuer() == kTeamCa &&
         certificate->has_enhanced_key_usage(kClientAuth);
}
