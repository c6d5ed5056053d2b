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

// names_network_command tells whether the command line's first word that is not an option (`krtool -h
// serve` asks for serve's help too) is one that krtool-net runs.
bool names_network_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word.starts_with('-')) continue;
    for (const krtool::app::CommandSummary& command : kNetworkCommands) {
      if (word == command.name) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (names_network_command(argc, argv)) return krtool::app::run_network_program(argv);
  return krtool::app::run_cli(argc, argv, kCommands, kNetworkCommands);
}
