#include "krtool/net_entry.hpp"

namespace krtool {
namespace {

class DevServerControl final : public ServerControl {
 public:
  explicit DevServerControl(server::DevServerOptions options) : server_(std::move(options)) {}
  int bind() override { return server_.bind(); }
  void run() override { server_.run(); }
  void stop() override { server_.stop(); }
  std::string url() const override { return server_.url(); }

 private:
  server::DevServer server_;
};

std::unique_ptr<ServerControl> make_server(server::DevServerOptions options) {
  return std::make_unique<DevServerControl>(std::move(options));
}

// Overloaded names need a cast to pick the one the table holds.
constexpr NetEntry kEntry{
    server::load_serve_config,
    server::build_server_options,
    make_server,
    client::parse_host_override,
    client::run_test_client,
    static_cast<nlohmann::json (*)(const client::TestClientReport&)>(client::to_json),
    static_cast<std::string (*)(client::Outcome)>(client::to_string),
    client::exit_code,
};

}  // namespace
}  // namespace krtool

extern "C" const krtool::NetEntry* krtool_net_entry() { return &krtool::kEntry; }
