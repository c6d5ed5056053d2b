// What the three stores share: running their tools, handing them the CA as a file, and refusing early,
// with a hint, where the store belongs to root.
#pragma once

#include <openssl/x509.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/process.hpp"

namespace krtool::trust {

// run_tool runs `program` (searched on PATH) with `args`. A missing program is Error(Input) with
// `install_hint` ("apt install libnss3-tools"); a run that did not end on its own is Error(Internal).
process::Outcome run_tool(const std::string& program, const std::vector<std::string>& args,
                          std::string_view install_hint);

// require_success throws Error(Internal) with the tool's output unless it exited 0.
void require_success(const process::Outcome& outcome, std::string_view action);

// require_writable throws Error(Input) when `path` (or, when it does not exist, its folder) cannot be
// written by this user: for a store that belongs to root, the hint says to use sudo.
void require_writable(const std::filesystem::path& path, std::string_view what, std::string_view retry);

// CaFile is the CA written as PEM into a private temporary folder, for tools that read a file; the
// folder is removed when it goes out of scope.
class CaFile {
 public:
  explicit CaFile(X509* ca);
  ~CaFile();
  CaFile(const CaFile&) = delete;
  CaFile& operator=(const CaFile&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // secret writes `text` (a store password) to a 0600 file beside the CA, for tools that read one
  // from a file rather than from their command line, where any user's `ps` would show it.
  std::filesystem::path secret(const std::string& text) const;

 private:
  std::filesystem::path folder_;
  std::filesystem::path path_;
};

// colon_hex spells a digest as keytool prints it: "AB:CD:...".
std::string colon_hex(std::string_view hex);

}  // namespace krtool::trust
