// Certificate and key import (krtool import, export, test-cert, serve --cert): PEM, DER and PKCS#12
// bytes, detected by content, with a password for encrypted keys and PFX files.
#include "fuzz_input.hpp"
#include "krtool/formats/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = krtool::fuzz::text_of(data, size);
  (void)krtool::formats::detect_format(bytes);
  krtool::formats::LoadOptions options;
  options.password = "test";  // the password of the seed PFX files and encrypted keys
  // No prompt: an input that needs another password is rejected, as in a script without a terminal.
  krtool::fuzz::rejecting(
      [&] { (void)krtool::formats::load_bundle_from_bytes(bytes, "fuzz input", options); });
  return 0;
}
