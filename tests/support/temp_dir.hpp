// TempDir: a fresh folder under the build tree for one test, removed afterwards.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <random>
#include <string>

namespace krtool::test {

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("krtool-unit-{:016x}", (uint64_t{random()} << 32) | random());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace krtool::test
