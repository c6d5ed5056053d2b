// File input and output with krtool's guarantees: errors name the file and the fix; outputs are
// checked all together before any is written, each goes to a temporary file in the same folder and is
// renamed into place, private material gets mode 0600, and nothing is overwritten without `force`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace krtool::files {

enum class FileMode { Public /* 0644 */, Private /* 0600: keys and PFX files */ };

// read_file returns the whole file; `what` names it in errors ("certificate", "key", ...).
// Throws Error(Input) for a missing, unreadable or oversized file, or a folder.
std::string read_file(const std::filesystem::path& path, std::string_view what);

// OutputSet collects the files that one command writes, so that a problem with any of them (an
// existing file without --force, a missing folder, the same path twice) is reported before the first
// byte is written.
class OutputSet {
 public:
  explicit OutputSet(bool force) : force_(force) {}

  void add(std::filesystem::path path, std::string bytes, FileMode mode, std::string what);

  // check throws Error(Usage) for an existing output without force, Error(Input) for a missing
  // folder or a folder given as output.
  void check() const;

  // commit checks, then writes the set as a whole: every file goes to a temporary file first, and only
  // when all of them are written are they renamed into place; a failure at any step leaves every
  // output as it was (replaced files are restored). Without force a file that appeared meanwhile is
  // still not overwritten (renameat2 RENAME_NOREPLACE). Errors name the output, never a temporary file.
  void commit();

  std::vector<std::filesystem::path> paths() const;

 private:
  struct Pending {
    std::filesystem::path path;
    std::string bytes;
    FileMode mode;
    std::string what;
  };
  bool force_;
  std::vector<Pending> pending_;
};

// write_file is an OutputSet of one.
void write_file(const std::filesystem::path& path, std::string bytes, FileMode mode, bool force,
                std::string what);

// require_safe_to_load refuses (Error(Input)) to trust `path`, code about to be loaded into krtool,
// when another user could have written it: the file, or the folder holding it, is writable by group
// or others (a folder with the sticky bit, such as /tmp, is allowed: others cannot replace a file they
// do not own there), or either is owned by someone other than the current user or root. Symbolic
// links are followed first, so the real file and its real folder are checked. `what` names the file.
void require_safe_to_load(const std::filesystem::path& path, std::string_view what);

// require_safe_folder applies the same rule to a folder itself: owned by the current user or root and
// writable by nobody else (sticky or not).
void require_safe_folder(const std::filesystem::path& folder, std::string_view what);

// sibling_path returns `path` with its extension replaced ("out/alice.pem", ".key" -> "out/alice.key").
std::filesystem::path sibling_path(const std::filesystem::path& path, std::string_view extension);

}  // namespace krtool::files
