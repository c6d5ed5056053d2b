// krtool serve --config FILE: the JSON document and every field's checks.
#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "krtool/server/serve_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parsed as load_serve_config parses a file, comments allowed; bytes that are not JSON never reach
  // krtool's checks (load_serve_config reports them as an Error with the parser's line and column).
  const nlohmann::json document =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (document.is_discarded()) return 0;
  // Relative paths in the document resolve below a folder that does not exist, so nothing is read.
  krtool::fuzz::rejecting([&] {
    (void)krtool::server::serve_config_from_json(document, "config 'fuzz.json'", "/nonexistent/krtool-fuzz");
  });
  return 0;
}
