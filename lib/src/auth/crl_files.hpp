// CrlFiles: the --crl files of revocation mode Offline, re-read when one changes on disk, so that a CA
// publishing a new CRL (krtool new-crl, openssl ca -gencrl) is seen without restarting serve.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::auth {

class CrlFiles {
 public:
  // Reads every file now: Error(Input) naming the file when one cannot be read (start-up fails, as it
  // always did). `log` hears why a changed file was not taken; `clock` paces the checks.
  CrlFiles(const std::vector<std::string>& paths, std::function<void(const std::string&)> log,
           std::function<TimePoint()> clock);

  // current returns the CRLs of every file. At most once a second it looks at each file's modification
  // time and size, and reads again a file whose either changed; a file that no longer reads (missing,
  // half-written, not a CRL) keeps its previous CRLs and is logged once per change. Thread-safe.
  std::vector<ossl::UniquePtr<X509_CRL>> current();

 private:
  struct File {
    std::filesystem::path path;
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    std::vector<ossl::UniquePtr<X509_CRL>> crls;
  };
  void refresh(File& file);

  std::function<void(const std::string&)> log_;
  std::function<TimePoint()> clock_;
  std::mutex mutex_;
  std::vector<File> files_;
  TimePoint checked_;
};

}  // namespace krtool::auth
