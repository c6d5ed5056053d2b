// CRLs: given with --crl, and downloaded from a certificate's distribution point in Online revocation
// mode, where the bytes come from whatever server the certificate names.
#include "fuzz_input.hpp"
#include "krtool/cert/crl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  krtool::fuzz::rejecting(
      [&] { (void)krtool::cert::load_crls_from_bytes(krtool::fuzz::text_of(data, size), "fuzz input"); });
  return 0;
}
