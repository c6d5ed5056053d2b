#include "auth/crl_files.hpp"

#include <fmt/format.h>

#include "krtool/cert/crl.hpp"
#include "krtool/error.hpp"

namespace krtool::auth {
namespace {

// kCheckEvery paces the look at the files: one stat per file per second, not one per request.
constexpr std::chrono::seconds kCheckEvery{1};

}  // namespace

CrlFiles::CrlFiles(const std::vector<std::string>& paths, std::function<void(const std::string&)> log,
                   std::function<TimePoint()> clock)
    : log_(std::move(log)), clock_(clock ? std::move(clock) : std::function<TimePoint()>(now_seconds)) {
  for (const std::string& path : paths) {
    File file;
    file.path = path;
    std::error_code error;
    file.mtime = std::filesystem::last_write_time(file.path, error);
    file.size = std::filesystem::file_size(file.path, error);
    file.crls = cert::load_crls(file.path);  // throws naming the file
    files_.push_back(std::move(file));
  }
  checked_ = clock_();
}

void CrlFiles::refresh(File& file) {
  std::error_code error;
  const auto mtime = std::filesystem::last_write_time(file.path, error);
  const std::uintmax_t size = error ? 0 : std::filesystem::file_size(file.path, error);
  if (!error && mtime == file.mtime && size == file.size) return;
  // Remembered before reading, so that a broken file is logged once, not once a second.
  file.mtime = mtime;
  file.size = size;
  try {
    if (error)
      throw Error(Errc::Input, fmt::format("cannot read '{}': {}", file.path.string(), error.message()));
    file.crls = cert::load_crls(file.path);
    if (log_) log_(fmt::format("revocation: re-read the changed CRL file '{}'", file.path.string()));
  } catch (const std::exception& failure) {
    if (log_) {
      log_(fmt::format("revocation: keeping the previous CRLs of '{}': the changed file does not read: {}",
                       file.path.string(), failure.what()));
    }
  }
}

std::vector<ossl::UniquePtr<X509_CRL>> CrlFiles::current() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const TimePoint now = clock_(); now >= checked_ + kCheckEvery) {
    checked_ = now;
    for (File& file : files_) refresh(file);
  }
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  for (const File& file : files_)
    for (const auto& crl : file.crls) crls.push_back(ossl::up_ref(crl.get()));
  return crls;
}

}  // namespace krtool::auth
