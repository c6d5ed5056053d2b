// SharedLibrary owns one dlopen handle: the library stays loaded while any copy of the shared_ptr that
// holds it lives, so code called through its symbols never outlives it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace krtool {

class SharedLibrary {
 public:
  // Loads `path` with RTLD_NOW | RTLD_LOCAL: every symbol is resolved now, so a library that cannot
  // run fails here and not during a handshake, and its symbols do not leak into later loads.
  // Throws Error(Input) with dlerror()'s reason, naming `what`.
  SharedLibrary(const std::filesystem::path& path, std::string_view what);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  // symbol returns the address of `name`, or null when the library does not export it.
  void* symbol(const char* name) const noexcept;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  void* handle_ = nullptr;
};

}  // namespace krtool
