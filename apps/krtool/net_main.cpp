// krtool-net: `krtool serve` and `krtool test-client`, which krtool runs with execv (see
// apps/CMakeLists.txt). It can be run directly too, with the same arguments.
#include "cli.hpp"
#include "command.hpp"

namespace {

constexpr krtool::app::CommandSpec kCommands[] = {
    {"serve", krtool::app::setup_serve},
    {"test-client", krtool::app::setup_test_client},
};

}  // namespace

int main(int argc, char** argv) { return krtool::app::run_cli(argc, argv, kCommands, {}); }
