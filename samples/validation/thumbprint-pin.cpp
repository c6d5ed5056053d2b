// Certificate pinning: accept exactly the certificates whose SHA-1 thumbprints are listed (uppercase
// hex, as `krtool import FILE` prints them), self-signed or not. The chain does not matter here: the
// pin is the trust. A whole file: it defines validate() itself, so it may include what it needs, and
// it also builds as a shared object by hand:
//   c++ -std=c++17 -shared -fPIC -I/usr/local/include thumbprint-pin.cpp -o thumbprint-pin.so
#include <algorithm>
#include <array>
#include <krtool/validation.hpp>
#include <string>

namespace {

// run.sh writes the thumbprint of its pinned client here; put yours instead.
constexpr std::array<const char*, 1> kPinned = {"PINNED_THUMBPRINT"};

}  // namespace

bool validate(const krtool::Certificate* certificate, const krtool::Chain&, krtool::SslPolicyErrors) {
  if (certificate == nullptr) return false;  // a pin needs a certificate
  const std::string thumbprint = certificate->thumbprint();
  return std::any_of(kPinned.begin(), kPinned.end(), [&](const char* pin) { return thumbprint == pin; });
}

KRTOOL_VALIDATION_ENTRY(validate)
