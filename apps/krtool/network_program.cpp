#include "network_program.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "cli.hpp"
#include "krtool/error.hpp"

namespace krtool::app {
namespace {

// krtool-net is found from krtool's own path, never through $PATH or the current folder: the same
// relative path in the build tree and once installed (KRTOOL_NET_FROM_BIN, set in apps/CMakeLists.txt).
// Without /proc, a path typed with a '/' still says where krtool is.
std::filesystem::path network_program_path(const char* argv0) {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error && argv0 != nullptr && std::string_view(argv0).find('/') != std::string_view::npos) {
    self = std::filesystem::canonical(argv0, error);
  }
  if (error) {
    throw Error(Errc::Internal,
                fmt::format("cannot find krtool's own path in /proc/self/exe: {}", error.message()),
                "run krtool by its path (e.g. /usr/bin/krtool serve), or mount /proc");
  }
  return (self.parent_path() / KRTOOL_NET_FROM_BIN).lexically_normal();
}

}  // namespace

int run_network_program(char** argv) {
  try {
    const std::filesystem::path program = network_program_path(argv[0]);
    ::execv(program.c_str(), argv);
    const int error = errno;
    throw Error(Errc::Internal,
                fmt::format("cannot run {} for krtool's network commands: {}", program.string(),
                            std::strerror(error)),
                error == ENOENT
                    ? "krtool-net is built and installed with krtool, at that path relative to krtool; "
                      "rebuild (cmake --build build) or reinstall (cmake --install build)"
                    : "check that the file is an executable krtool-net and that you may run it");
  } catch (const Error& e) {
    return report_error(e);
  }
}

}  // namespace krtool::app
