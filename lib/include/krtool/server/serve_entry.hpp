// ServeEntry is what `krtool serve` uses of libkrtool_server.so. The krtool binary does not link that
// library, because loading it (with libssl, cpp-httplib, zlib and brotli, and cpp-httplib's start-up
// code) costs more than making a certificate; serve opens it with dlopen and looks up
// krtool_serve_entry(). Calls through this table of function pointers and through ServerControl's
// virtual functions need no symbol of the library when the binary is linked.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "krtool/server/build_server.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/server/serve_config.hpp"
#include "krtool/util/password.hpp"

namespace krtool::server {

// ServerControl is a DevServer seen through virtual functions (see DevServer for what each does).
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  virtual int bind() = 0;
  virtual void run() = 0;
  virtual void stop() = 0;
  virtual std::string url() const = 0;
};

struct ServeEntry {
  ServeConfig (*load_serve_config)(const std::filesystem::path& path);
  BuiltServer (*build_server_options)(const ServeConfig& config, const PasswordPrompt& prompt,
                                      std::function<void(const std::string&)> log);
  std::unique_ptr<ServerControl> (*make_server)(DevServerOptions options);
};

}  // namespace krtool::server

// krtool_serve_entry is the one name looked up in the library; C linkage keeps it unmangled.
extern "C" const krtool::server::ServeEntry* krtool_serve_entry();
