// NetEntry is what `krtool serve` and `krtool test-client` use of libkrtool_net.so. The krtool binary does
// not link that library, because loading it (with libssl, cpp-httplib, zlib and brotli, and cpp-httplib's
// start-up code) costs more than making a certificate; the two commands open it with dlopen and look up
// krtool_net_entry(). Calls through this table of function pointers and through ServerControl's virtual
// functions need no symbol of the library when the binary is linked.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "krtool/client/test_client.hpp"
#include "krtool/server/build_server.hpp"
#include "krtool/server/dev_server.hpp"
#include "krtool/server/serve_config.hpp"
#include "krtool/util/password.hpp"

namespace krtool {

// ServerControl is a DevServer seen through virtual functions (see DevServer for what each does).
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  virtual int bind() = 0;
  virtual void run() = 0;
  virtual void stop() = 0;
  virtual std::string url() const = 0;
};

struct NetEntry {
  // krtool serve
  server::ServeConfig (*load_serve_config)(const std::filesystem::path& path);
  server::BuiltServer (*build_server_options)(const server::ServeConfig& config, const PasswordPrompt& prompt,
                                              std::function<void(const std::string&)> log);
  std::unique_ptr<ServerControl> (*make_server)(server::DevServerOptions options);
  // krtool test-client
  client::HostOverride (*parse_host_override)(const std::string& text);
  client::TestClientReport (*run_test_client)(const client::TestClientOptions& options);
  nlohmann::json (*report_to_json)(const client::TestClientReport& report);
  std::string (*outcome_name)(client::Outcome outcome);
  int (*outcome_exit_code)(client::Outcome outcome);
};

}  // namespace krtool

// krtool_net_entry is the one name looked up in the library; C linkage keeps it unmangled.
extern "C" const krtool::NetEntry* krtool_net_entry();
