// krtool: every subcommand, one program.
#include "cli.hpp"
#include "command.hpp"

namespace {

constexpr krtool::app::CommandSpec kCommands[] = {
    {"new-selfsigned", krtool::app::setup_new_selfsigned},
    {"new-csr", krtool::app::setup_new_csr},
    {"import", krtool::app::setup_import},
    {"export", krtool::app::setup_export},
    {"test-cert", krtool::app::setup_test_cert},
    {"serve", krtool::app::setup_serve},
    {"test-client", krtool::app::setup_test_client},
    {"trust", krtool::app::setup_trust},
};

}  // namespace

int main(int argc, char** argv) { return krtool::app::run_cli(argc, argv, kCommands); }
