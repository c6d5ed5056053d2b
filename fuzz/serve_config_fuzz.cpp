// krtool serve --config FILE: the bytes are written to a file and read by load_serve_config, as
// serve reads them: the JSON parser (comments allowed), then every field's checks.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_input.hpp"
#include "krtool/server/serve_config.hpp"

namespace {

// The config's own folder, empty, so that relative paths in the document name files that do not exist.
const std::filesystem::path& config_file() {
  static const std::filesystem::path file = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path folder = std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
                                   ("krtool-fuzz-serve-config." + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    return folder / "serve.json";
  }();
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(config_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  krtool::fuzz::rejecting([&] { (void)krtool::server::load_serve_config(config_file()); });
  return 0;
}
