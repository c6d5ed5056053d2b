#include "net_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include "krtool/error.hpp"

namespace krtool::app {
namespace {

// The soname, so that the loader searches the binary's RUNPATH ($ORIGIN/../lib): dlopen uses the
// RUNPATH of the object that calls it, and this code is in the binary.
constexpr const char* kLibrary = "libkrtool_net.so.0";

const NetEntry& open_library() {
  // Never closed: the server's code runs until the process ends.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = ::dlerror();
    throw Error(Errc::Internal,
                fmt::format("cannot load the network library {}: {}", kLibrary, reason ? reason : "unknown"),
                "it belongs beside libkrtool.so (build/lib/ or the installed lib folder); rebuild or "
                "reinstall krtool");
  }
  using EntryFn = const NetEntry* (*)();
  auto entry = reinterpret_cast<EntryFn>(::dlsym(handle, "krtool_net_entry"));
  if (entry == nullptr || entry() == nullptr) {
    throw Error(Errc::Internal,
                fmt::format("{} has no krtool_net_entry: it is not this krtool's network library", kLibrary),
                "rebuild or reinstall krtool so that the binary and its libraries match");
  }
  return *entry();
}

}  // namespace

const NetEntry& net_library() {
  static const NetEntry& entry = open_library();
  return entry;
}

}  // namespace krtool::app
