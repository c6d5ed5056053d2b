#include "util/shared_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include "krtool/error.hpp"

namespace krtool {

SharedLibrary::SharedLibrary(const std::filesystem::path& path, std::string_view what) : path_(path) {
  // A name without a '/' would be searched in the library path; a path always means this file.
  const std::filesystem::path exact = path.has_parent_path() ? path : std::filesystem::path(".") / path;
  handle_ = ::dlopen(exact.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* reason = ::dlerror();
    throw Error(Errc::Input,
                fmt::format("cannot load {} '{}': {}", what, path.string(),
                            reason != nullptr ? reason : "unknown reason"),
                "build it as a shared object for this system (c++ -std=c++17 -shared -fPIC ...)");
  }
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

void* SharedLibrary::symbol(const char* name) const noexcept {
  ::dlerror();
  return ::dlsym(handle_, name);
}

}  // namespace krtool
