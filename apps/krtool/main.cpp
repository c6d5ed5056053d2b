// krtool: the certificate commands run here; serve and test-client run in krtool-net (see
// apps/CMakeLists.txt for why there are two programs).
#include <string_view>

#include "cli.hpp"
#include "command.hpp"
#include "network_program.hpp"

namespace {

constexpr krtool::app::CommandSpec kCommands[] = {
    {"new-selfsigned", krtool::app::setup_new_selfsigned},
    {"new-csr", krtool::app::setup_new_csr},
    {"import", krtool::app::setup_import},
    {"export", krtool::app::setup_export},
    {"test-cert", krtool::app::setup_test_cert},
};

constexpr krtool::app::CommandSummary kNetworkCommands[] = {krtool::app::kServeSummary,
                                                            krtool::app::kTestClientSummary};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    for (const krtool::app::CommandSummary& command : kNetworkCommands) {
      if (std::string_view(argv[1]) == command.name) return krtool::app::run_network_program(argv);
    }
  }
  return krtool::app::run_cli(argc, argv, kCommands, kNetworkCommands);
}
