#include "server_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include "krtool/error.hpp"

namespace krtool::app {
namespace {

// The soname, so that the loader searches the binary's RUNPATH ($ORIGIN/../lib): dlopen uses the
// RUNPATH of the object that calls it, and this code is in the binary.
constexpr const char* kLibrary = "libkrtool_server.so.0";

const server::ServeEntry& open_library() {
  // Never closed: the server's code runs until the process ends.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = ::dlerror();
    throw Error(Errc::Internal,
                fmt::format("cannot load the server library {}: {}", kLibrary, reason ? reason : "unknown"),
                "it belongs beside libkrtool.so (build/lib/ or the installed lib folder); rebuild or "
                "reinstall krtool");
  }
  using EntryFn = const server::ServeEntry* (*)();
  auto entry = reinterpret_cast<EntryFn>(::dlsym(handle, "krtool_serve_entry"));
  if (entry == nullptr || entry() == nullptr) {
    throw Error(Errc::Internal,
                fmt::format("{} has no krtool_serve_entry: it is not this krtool's server library", kLibrary),
                "rebuild or reinstall krtool so that the binary and its libraries match");
  }
  return *entry();
}

}  // namespace

const server::ServeEntry& server_library() {
  static const server::ServeEntry& entry = open_library();
  return entry;
}

}  // namespace krtool::app
