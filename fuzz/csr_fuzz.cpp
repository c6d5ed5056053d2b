// Certificate signing requests (krtool new-selfsigned --csr): PEM or DER, then written back as PEM.
#include "fuzz_input.hpp"
#include "krtool/cert/csr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  krtool::fuzz::rejecting([&] {
    auto request = krtool::cert::load_request(krtool::fuzz::text_of(data, size), "fuzz input");
    (void)krtool::cert::request_to_pem(request.get());
  });
  return 0;
}
