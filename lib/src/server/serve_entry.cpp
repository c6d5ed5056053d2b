#include "krtool/server/serve_entry.hpp"

namespace krtool::server {
namespace {

class DevServerControl final : public ServerControl {
 public:
  explicit DevServerControl(DevServerOptions options) : server_(std::move(options)) {}
  int bind() override { return server_.bind(); }
  void run() override { server_.run(); }
  void stop() override { server_.stop(); }
  std::string url() const override { return server_.url(); }

 private:
  DevServer server_;
};

std::unique_ptr<ServerControl> make_server(DevServerOptions options) {
  return std::make_unique<DevServerControl>(std::move(options));
}

constexpr ServeEntry kEntry{load_serve_config, build_server_options, make_server};

}  // namespace
}  // namespace krtool::server

extern "C" const krtool::server::ServeEntry* krtool_serve_entry() { return &krtool::server::kEntry; }
