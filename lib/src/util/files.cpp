#include "krtool/util/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "krtool/error.hpp"

namespace fs = std::filesystem;

namespace krtool::files {
namespace {

// Certificates, keys and PFX files are small; a limit keeps a wrong path (a disk image, /dev/zero)
// from exhausting memory.
constexpr std::uintmax_t kMaxInputBytes = 16 * 1024 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

// A descriptor that closes itself, for the temporary file.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

fs::path folder_of(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

void write_all(int fd, std::string_view bytes, const fs::path& temp) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(Errc::Input, fmt::format("cannot write '{}': {}", temp.string(), errno_text(errno)),
                  "check the free space and permissions of the output folder");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// write_atomically writes to a temporary file beside `path`, flushes it, and renames it into place.
void write_atomically(const fs::path& path, std::string_view bytes, FileMode mode, bool force,
                      const std::string& what) {
  std::string temp = (folder_of(path) / fmt::format(".{}.krtool-XXXXXX", path.filename().string())).string();
  Fd fd(::mkstemp(temp.data()));
  if (fd.get() < 0) {
    throw Error(Errc::Input, fmt::format("cannot create {} '{}': {}", what, path.string(), errno_text(errno)),
                "check that the output folder exists and is writable");
  }
  const mode_t perms = mode == FileMode::Private ? 0600 : 0644;
  bool ok = ::fchmod(fd.get(), perms) == 0;
  try {
    if (ok) write_all(fd.get(), bytes, temp);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  // Flushing to disk costs more than making the certificate. It is needed when the rename replaces a
  // file (--force): a crash between rename and write-back must not leave neither version. A brand-new
  // file that a crash loses was never anyone's only copy, so it is not flushed.
  std::error_code exists_error;
  const bool replaces = std::filesystem::exists(path, exists_error);
  ok = ok && (!replaces || ::fsync(fd.get()) == 0);
  ok = ::close(fd.release()) == 0 && ok;
  if (!ok) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Error(Errc::Input, fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(err)));
  }
  const int flags = force ? 0 : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), flags) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    if (err == EEXIST) {
      throw Error(Errc::Usage, fmt::format("{} '{}' already exists", what, path.string()),
                  "pass --force to overwrite it, or choose another --out");
    }
    throw Error(Errc::Input, fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(err)));
  }
}

}  // namespace

std::string read_file(const fs::path& path, std::string_view what) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    throw Error(Errc::Input, fmt::format("{} file '{}' does not exist", what, path.string()),
                "check the path; relative paths are taken from the current folder");
  }
  if (fs::is_directory(status)) {
    throw Error(Errc::Input, fmt::format("{} '{}' is a folder, not a file", what, path.string()),
                "name the file inside it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Errc::Input,
                fmt::format("cannot read {} file '{}': {}", what, path.string(), errno_text(errno)),
                "check the file's permissions");
  }
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<size_t>(in.gcount()));
    if (bytes.size() > kMaxInputBytes) {
      throw Error(Errc::Input, fmt::format("{} file '{}' is larger than 16 MiB", what, path.string()),
                  "certificates and keys are small: check that this is the right file");
    }
  }
  if (in.bad()) {
    throw Error(Errc::Input,
                fmt::format("cannot read {} file '{}': {}", what, path.string(), errno_text(errno)));
  }
  return bytes;
}

void OutputSet::add(fs::path path, std::string bytes, FileMode mode, std::string what) {
  pending_.push_back(Pending{std::move(path), std::move(bytes), mode, std::move(what)});
}

void OutputSet::check() const {
  std::set<fs::path> seen;
  for (const Pending& p : pending_) {
    const fs::path normal = p.path.lexically_normal();
    if (!seen.insert(normal).second) {
      throw Error(Errc::Usage, fmt::format("two outputs would be written to '{}'", p.path.string()),
                  "give the outputs different names");
    }
    std::error_code ec;
    const fs::path folder = folder_of(p.path);
    if (!fs::is_directory(folder, ec)) {
      throw Error(Errc::Input,
                  fmt::format("cannot write {} '{}': the folder '{}' does not exist", p.what, p.path.string(),
                              folder.string()),
                  fmt::format("create it first (mkdir -p '{}') or choose another --out", folder.string()));
    }
    const fs::file_status status = fs::symlink_status(p.path, ec);
    if (fs::is_directory(status)) {
      throw Error(Errc::Input, fmt::format("cannot write {} '{}': it is a folder", p.what, p.path.string()),
                  "name a file, for example --out server.pem");
    }
    if (!force_ && fs::exists(status)) {
      throw Error(Errc::Usage, fmt::format("{} '{}' already exists", p.what, p.path.string()),
                  "pass --force to overwrite it, or choose another --out");
    }
    if (::access(folder.c_str(), W_OK) != 0) {
      throw Error(Errc::Input,
                  fmt::format("cannot write {} '{}': the folder '{}' is not writable", p.what,
                              p.path.string(), folder.string()),
                  "choose an output folder you can write to");
    }
  }
}

void OutputSet::commit() {
  check();
  for (const Pending& p : pending_) write_atomically(p.path, p.bytes, p.mode, force_, p.what);
}

std::vector<fs::path> OutputSet::paths() const {
  std::vector<fs::path> out;
  for (const Pending& p : pending_) out.push_back(p.path);
  return out;
}

void write_file(const fs::path& path, std::string bytes, FileMode mode, bool force, std::string what) {
  OutputSet set(force);
  set.add(path, std::move(bytes), mode, std::move(what));
  set.commit();
}

namespace {

// unsafe_because names what is wrong with one file or folder's owner and mode, or returns "". A sticky
// folder (/tmp) may be writable by others when `sticky_allowed`: they cannot replace files they do not own.
std::string unsafe_because(const struct stat& info, bool sticky_allowed) {
  const uid_t me = ::geteuid();
  if (info.st_uid != me && info.st_uid != 0)
    return fmt::format("is owned by user id {}, not by you", info.st_uid);
  const bool sticky_folder = sticky_allowed && S_ISDIR(info.st_mode) && (info.st_mode & S_ISVTX) != 0;
  if ((info.st_mode & S_IWOTH) != 0 && !sticky_folder) return "is writable by every user";
  if ((info.st_mode & S_IWGRP) != 0 && !sticky_folder) return "is writable by its group";
  return "";
}

}  // namespace

void require_safe_to_load(const fs::path& path, std::string_view what) {
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) {
    throw Error(Errc::Input, fmt::format("{} '{}' cannot be read: {}", what, path.string(), ec.message()),
                "check the path; relative paths are taken from the current folder");
  }
  const fs::path folder = folder_of(real);
  for (const auto& [checked, is_folder] : {std::pair{real, false}, std::pair{folder, true}}) {
    struct stat info {};
    if (::stat(checked.c_str(), &info) != 0) {
      throw Error(Errc::Input,
                  fmt::format("{} '{}' cannot be read: {}", what, checked.string(), errno_text(errno)));
    }
    const std::string problem = unsafe_because(info, is_folder);
    if (problem.empty()) continue;
    throw Error(
        Errc::Input,
        fmt::format("refusing to load {} '{}': {} '{}' {}, so another user could have replaced the code",
                    what, path.string(), is_folder ? "its folder" : "the file", checked.string(), problem),
        fmt::format("make it yours and writable by you alone: chown \"$(id -u)\" '{0}' && chmod go-w '{0}'",
                    checked.string()));
  }
}

void require_safe_folder(const fs::path& folder, std::string_view what) {
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw Error(Errc::Input, fmt::format("{} '{}' is not a folder", what, folder.string()),
                "remove what is there, or choose another folder");
  }
  const std::string problem = unsafe_because(info, /*sticky_allowed=*/false);
  if (!problem.empty()) {
    throw Error(Errc::Input,
                fmt::format("refusing to use {} '{}': it {}, so another user could plant code in it", what,
                            folder.string(), problem),
                fmt::format("make it yours and private: chown \"$(id -u)\" '{0}' && chmod 700 '{0}'",
                            folder.string()));
  }
}

fs::path sibling_path(const fs::path& path, std::string_view extension) {
  fs::path out = path;
  out.replace_extension(extension);
  return out;
}

}  // namespace krtool::files
