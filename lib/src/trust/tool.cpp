#include "trust/tool.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <system_error>

#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/util/files.hpp"

namespace krtool::trust {
namespace fs = std::filesystem;

namespace {
// keytool starts a JVM; on a loaded machine that alone takes seconds.
constexpr std::chrono::seconds kToolTimeout{120};
}  // namespace

process::Outcome run_tool(const std::string& program, const std::vector<std::string>& args,
                          std::string_view install_hint) {
  const std::optional<fs::path> found = process::find_program(program);
  if (!found) {
    throw Error(Errc::Input, fmt::format("'{}' was not found on PATH", program), std::string(install_hint));
  }
  std::vector<std::string> argv{found->string()};
  argv.insert(argv.end(), args.begin(), args.end());
  process::Outcome outcome = process::run(argv, kToolTimeout);
  if (!outcome.exited) {
    throw Error(Errc::Internal,
                fmt::format("'{}' {}", program, outcome.timed_out ? "did not finish in time" : "was killed"),
                outcome.output);
  }
  return outcome;
}

void require_success(const process::Outcome& outcome, std::string_view action) {
  if (outcome.exit_status == 0) return;
  std::string output = outcome.output;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  throw Error(Errc::Internal, fmt::format("{} failed (exit {}): {}", action, outcome.exit_status, output));
}

void require_writable(const fs::path& path, std::string_view what, std::string_view retry) {
  std::error_code ignored;
  const fs::path probe = fs::exists(path, ignored) ? path : path.parent_path();
  if (::access(probe.empty() ? "." : probe.c_str(), W_OK) == 0) return;
  throw Error(Errc::Input,
              fmt::format("cannot change {} '{}': this user may not write it", what, probe.string()),
              fmt::format("it belongs to root: run `sudo {}`", retry));
}

CaFile::CaFile(X509* ca) {
  std::string pattern = (fs::temp_directory_path() / "krtool-trust.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(Errc::Internal,
                fmt::format("cannot make a temporary folder in {}: {}", fs::temp_directory_path().string(),
                            std::error_code(errno, std::generic_category()).message()));
  }
  folder_ = pattern;
  path_ = folder_ / "ca.pem";
  files::write_file(path_, formats::encode_pem_certificate(ca), files::FileMode::Public, false,
                    "CA certificate");
}

std::filesystem::path CaFile::secret(const std::string& text) const {
  const fs::path file = folder_ / "storepass";
  files::write_file(file, text, files::FileMode::Private, true, "store password");
  return file;
}

CaFile::~CaFile() {
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

std::string colon_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

}  // namespace krtool::trust
