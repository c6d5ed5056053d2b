#include "krtool/cert/dev_root.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "krtool/cert/builder.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/files.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCertificateName = kDevelopmentRootCertificate;
constexpr const char* kKeyName = kDevelopmentRootKey;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

// ensure_private_folder makes the folder (0700) or checks that an existing one is private: the root's
// key in a folder others can list or write is a root others may replace.
void ensure_private_folder(const fs::path& folder) {
  std::error_code error;
  if (!fs::exists(folder, error)) {
    fs::create_directories(folder.parent_path().empty() ? fs::path(".") : folder.parent_path(), error);
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
      throw Error(Errc::Input,
                  fmt::format("cannot make the development root folder '{}': {}", folder.string(),
                              std::strerror(errno)),
                  "set KRTOOL_CAROOT to a folder you can write");
    }
  }
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw Error(Errc::Input, fmt::format("the development root folder '{}' is not a folder", folder.string()),
                "remove what is there, or set KRTOOL_CAROOT to another folder");
  }
  if (info.st_uid != ::geteuid() || (info.st_mode & 077) != 0) {
    throw Error(Errc::Input,
                fmt::format("the development root folder '{}' is not private to you (mode {:o})",
                            folder.string(), info.st_mode & 0777),
                fmt::format("chmod 700 '{}' (it holds the root's private key)", folder.string()));
  }
}

// FolderLock holds an exclusive flock on <folder>/.lock for as long as it lives; a second krtool
// making its first certificate waits here and then finds the root the first one made.
class FolderLock {
 public:
  explicit FolderLock(const fs::path& folder) {
    const fs::path path = folder / ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      const std::string reason = std::strerror(errno);
      if (fd_ >= 0) ::close(fd_);
      throw Error(Errc::Input, fmt::format("cannot lock '{}': {}", path.string(), reason),
                  "check the permissions of the development root folder");
    }
  }
  ~FolderLock() { ::close(fd_); }  // closing releases the lock
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

// keep_old renames the stored root aside as root-ca.<UTC time>.pem/.key: certificates it signed can
// still be checked against it, and it can still be removed from whatever trusts it.
fs::path keep_old(const fs::path& folder) {
  std::string stamp = format_rfc3339(now_seconds());
  for (char& c : stamp) {
    if (c == ':') c = '-';
  }
  const fs::path certificate = folder / fmt::format("root-ca.{}.pem", stamp);
  const fs::path key = folder / fmt::format("root-ca.{}.key", stamp);
  if (fs::exists(certificate) || fs::exists(key)) {
    throw Error(Errc::Usage, fmt::format("'{}' already exists", certificate.string()),
                "wait a second and run again: one new root per second");
  }
  std::error_code error;
  fs::rename(folder / kKeyName, key, error);
  if (!error) fs::rename(folder / kCertificateName, certificate, error);
  if (error) {
    throw Error(
        Errc::Input,
        fmt::format("cannot keep the old development root in '{}': {}", folder.string(), error.message()),
        "check the permissions of the development root folder");
  }
  return certificate;
}

CertBundle load_root(const fs::path& certificate_file, const fs::path& key_file) {
  formats::LoadOptions load;
  load.key_path = key_file;
  CertBundle root = formats::load_bundle(certificate_file, load);
  const TimePoint not_after =
      from_asn1_time(X509_get0_notAfter(root.certificate.get()), "the root's notAfter");
  if (not_after <= now_seconds()) {
    throw Error(Errc::Input,
                fmt::format("the development root in '{}' expired on {}",
                            certificate_file.parent_path().string(), format_rfc3339(not_after)),
                "make a new one with --new-root (krtool new-selfsigned --development --new-root)");
  }
  return root;
}

}  // namespace

fs::path development_root_folder() {
  if (const std::string caroot = env("KRTOOL_CAROOT"); !caroot.empty()) return fs::absolute(caroot);
  if (const std::string data = env("XDG_DATA_HOME"); !data.empty())
    return fs::absolute(fs::path(data) / "krtool");
  if (const std::string home = env("HOME"); !home.empty())
    return fs::path(home) / ".local" / "share" / "krtool";
  throw Error(Errc::Usage,
              "no folder for the development root: KRTOOL_CAROOT, XDG_DATA_HOME and HOME are unset",
              "set KRTOOL_CAROOT to a private folder");
}

DevelopmentRoot development_root(const DevelopmentRootOptions& options) {
  DevelopmentRoot result;
  result.folder = development_root_folder();
  result.certificate_file = result.folder / kCertificateName;
  result.key_file = result.folder / kKeyName;
  ensure_private_folder(result.folder);
  const FolderLock lock(result.folder);

  const bool has_certificate = fs::exists(result.certificate_file);
  const bool has_key = fs::exists(result.key_file);
  if (has_certificate != has_key && !options.new_root) {
    throw Error(
        Errc::Input,
        fmt::format("the development root in '{}' is incomplete: '{}' is missing", result.folder.string(),
                    (has_certificate ? result.key_file : result.certificate_file).string()),
        "make a new one with --new-root");
  }
  if (has_certificate && has_key && !options.new_root) {
    result.root = load_root(result.certificate_file, result.key_file);
    const std::string name = common_name(X509_get_subject_name(result.root.certificate.get()));
    if (options.name_given && name != options.name) {
      throw Error(Errc::Usage,
                  fmt::format("the development root in '{}' is named '{}', not '{}'", result.folder.string(),
                              name, options.name),
                  "add --new-root to replace it with a root of that name, or leave --root-name out");
    }
    return result;
  }
  if (options.new_root && has_certificate && has_key) result.kept = keep_old(result.folder);
  if (options.new_root && has_certificate != has_key) {
    std::error_code ignored;  // half a root is of no use to anyone
    fs::remove(result.certificate_file, ignored);
    fs::remove(result.key_file, ignored);
  }
  result.root = create_development_root(options.name, options.valid_days);
  files::OutputSet outputs(/*force=*/false);
  outputs.add(result.certificate_file, formats::encode_pem_certificate(result.root.certificate.get()),
              files::FileMode::Public, "development root certificate");
  outputs.add(result.key_file, formats::encode_pem_key(result.root.key.get(), std::nullopt),
              files::FileMode::Private, "development root key");
  outputs.commit();
  result.created = true;
  return result;
}

}  // namespace krtool::cert
