#include "krtool/util/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
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
// How long a pipe may take to deliver its first byte, and the whole input.
constexpr std::chrono::milliseconds kFirstPipeBytes{2000};
constexpr std::chrono::milliseconds kWholePipe{10000};

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

void write_all(int fd, std::string_view bytes, const fs::path& path, const std::string& what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(Errc::Input,
                  fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(errno)),
                  "check the free space and permissions of the output folder; nothing was changed");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// A temporary file beside its destination ("out/.x.key.krtool-AbC123"), removed unless it was renamed.
class StagedFile {
 public:
  StagedFile() = default;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile(StagedFile&& other) noexcept : temp_(std::exchange(other.temp_, {})) {}
  ~StagedFile() {
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }

  // stage writes `bytes` with `mode` to a new temporary file beside `path`. Errors name `path`, the file
  // the user asked for, never the temporary one.
  void stage(const fs::path& path, std::string_view bytes, FileMode mode, const std::string& what) {
    std::string temp =
        (folder_of(path) / fmt::format(".{}.krtool-XXXXXX", path.filename().string())).string();
    Fd fd(::mkstemp(temp.data()));
    if (fd.get() < 0) {
      throw Error(Errc::Input,
                  fmt::format("cannot create {} '{}': {}", what, path.string(), errno_text(errno)),
                  "check that the output folder exists and is writable; nothing was changed");
    }
    temp_ = temp;
    const mode_t perms = mode == FileMode::Private ? 0600 : 0644;
    if (::fchmod(fd.get(), perms) != 0) {
      throw Error(Errc::Input,
                  fmt::format("cannot set the mode of {} '{}': {}", what, path.string(), errno_text(errno)));
    }
    write_all(fd.get(), bytes, path, what);
    // Flushing to disk costs more than making the certificate. It is needed when the rename replaces a
    // file (--force): a crash between rename and write-back must not leave neither version. A brand-new
    // file that a crash loses was never anyone's only copy, so it is not flushed.
    std::error_code exists_error;
    const bool replaces = fs::exists(path, exists_error);
    if (replaces && ::fsync(fd.get()) != 0) {
      throw Error(Errc::Input,
                  fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(errno)),
                  "check the free space of the output folder; nothing was changed");
    }
    if (::close(fd.release()) != 0) {
      throw Error(Errc::Input,
                  fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(errno)),
                  "check the free space of the output folder; nothing was changed");
    }
  }

  const std::string& temp() const { return temp_; }
  void renamed() { temp_.clear(); }

 private:
  std::string temp_;
};

// A replaced file's previous version, kept as a hard link until every output of the set is in place,
// so that a failed rename can put it back.
struct Backup {
  fs::path path;      // the output
  std::string saved;  // hard link to its previous version; empty when the output is new
};

// link_backup hard-links an existing `path` to a new name beside it and returns that name, or "" when
// there is no file to keep.
std::string link_backup(const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return "";
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string saved =
        (folder_of(path) / fmt::format(".{}.krtool-old-{}-{}", path.filename().string(), ::getpid(), attempt))
            .string();
    if (::link(path.c_str(), saved.c_str()) == 0) return saved;
    if (errno != EEXIST) {
      throw Error(Errc::Input,
                  fmt::format("cannot keep the previous {} '{}' while replacing it: {}", what, path.string(),
                              errno_text(errno)),
                  "check the permissions of the output folder; nothing was changed");
    }
  }
  throw Error(Errc::Input,
              fmt::format("cannot keep the previous {} '{}' while replacing it", what, path.string()),
              "remove leftover .krtool-old-* files beside it");
}

}  // namespace

std::string read_file(const fs::path& path, std::string_view what) {
  // O_NONBLOCK: opening a named pipe must not wait for a writer that may never come.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw Error(Errc::Input, fmt::format("{} file '{}' does not exist", what, path.string()),
                  "check the path; relative paths are taken from the current folder");
    }
    throw Error(Errc::Input,
                fmt::format("cannot read {} file '{}': {}", what, path.string(), errno_text(err)),
                "check the file's permissions");
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    throw Error(Errc::Input,
                fmt::format("cannot read {} file '{}': {}", what, path.string(), errno_text(errno)));
  }
  if (S_ISDIR(info.st_mode)) {
    throw Error(Errc::Input, fmt::format("{} '{}' is a folder, not a file", what, path.string()),
                "name the file inside it");
  }
  const bool pipe = S_ISFIFO(info.st_mode);
  if (!S_ISREG(info.st_mode) && !pipe) {
    throw Error(Errc::Input,
                fmt::format("{} '{}' is a {}, not a file", what, path.string(),
                            S_ISCHR(info.st_mode)    ? "character device"
                            : S_ISBLK(info.st_mode)  ? "block device"
                            : S_ISSOCK(info.st_mode) ? "socket"
                                                     : "special file"),
                "name a certificate or key file");
  }
  std::string bytes;
  char buffer[65536];
  // A pipe (process substitution, `cat x |`) must already be carrying data; a named pipe that nobody
  // writes to is refused instead of waited on forever, and a writer that stalls is cut off.
  const auto opened = std::chrono::steady_clock::now();
  bool started = false;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      bytes.append(buffer, static_cast<size_t>(n));
      if (bytes.size() > kMaxInputBytes) {
        throw Error(Errc::Input, fmt::format("{} file '{}' is larger than 16 MiB", what, path.string()),
                    "certificates and keys are small: check that this is the right file");
      }
      started = true;
      continue;
    }
    if (n == 0 && (!pipe || started)) break;  // the end of the file, or of what the writer wrote
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      throw Error(Errc::Input,
                  fmt::format("cannot read {} file '{}': {}", what, path.string(), errno_text(errno)));
    }
    // A pipe with nothing to read yet (EAGAIN), or without a writer so far (0 before any byte).
    const auto now = std::chrono::steady_clock::now();
    const auto limit = opened + (started ? kWholePipe : kFirstPipeBytes);
    if (now >= limit) {
      throw Error(
          Errc::Input,
          started ? fmt::format("{} '{}' is a pipe whose writer stopped before the end ({} s)", what,
                                path.string(),
                                std::chrono::duration_cast<std::chrono::seconds>(kWholePipe).count())
                  : fmt::format("{} '{}' is a named pipe with nothing written to it", what, path.string()),
          "give the file itself, or write to the pipe before krtool reads it (e.g. <(cat file))");
    }
    pollfd wait{fd.get(), POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(limit - now).count();
    ::poll(&wait, 1, static_cast<int>(std::min<long long>(left, 100)));
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
  // Phase one writes every output to a temporary file; a failure (a full disk, say) removes them all
  // and leaves every destination as it was.
  std::vector<StagedFile> staged(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    staged[i].stage(pending_[i].path, pending_[i].bytes, pending_[i].mode, pending_[i].what);
  }
  // Phase two renames them into place. A file being replaced (--force) is first kept as a hard link, so
  // that when a later rename fails the ones already done are undone: every output changes, or none.
  std::vector<Backup> done;
  auto undo = [&done]() noexcept {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      if (it->saved.empty()) {
        ::unlink(it->path.c_str());
      } else {
        ::rename(it->saved.c_str(), it->path.c_str());
      }
    }
  };
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Pending& p = pending_[i];
    std::string saved;
    try {
      saved = force_ ? link_backup(p.path, p.what) : "";
    } catch (...) {
      undo();
      throw;
    }
    const int flags = force_ ? 0 : RENAME_NOREPLACE;
    if (::renameat2(AT_FDCWD, staged[i].temp().c_str(), AT_FDCWD, p.path.c_str(), flags) != 0) {
      const int err = errno;
      if (!saved.empty()) ::unlink(saved.c_str());
      undo();
      if (err == EEXIST) {
        throw Error(Errc::Usage, fmt::format("{} '{}' already exists", p.what, p.path.string()),
                    "pass --force to overwrite it, or choose another --out; nothing was changed");
      }
      throw Error(Errc::Input,
                  fmt::format("cannot write {} '{}': {}", p.what, p.path.string(), errno_text(err)),
                  "check the file's permissions and attributes (lsattr); nothing was changed");
    }
    staged[i].renamed();
    done.push_back(Backup{p.path, std::move(saved)});
  }
  for (const Backup& backup : done) {
    if (!backup.saved.empty()) ::unlink(backup.saved.c_str());
  }
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
