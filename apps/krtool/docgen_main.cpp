// krtool-docgen: writes krtool's man page or bash completion script from the commands' own CLI11
// definitions, all seven of them (krtool sets up only the one it runs). The build runs
// it; it is not installed. Usage: krtool-docgen man|bash OUTPUT
#include <fstream>
#include <iostream>
#include <string_view>

#include "cli.hpp"
#include "command.hpp"
#include "reference_docs.hpp"

int main(int argc, char** argv) {
  using namespace krtool::app;
  const std::string_view kind = argc == 3 ? argv[1] : "";
  if (kind != "man" && kind != "bash") {
    std::cerr << "usage: krtool-docgen man|bash OUTPUT\n";
    return 2;
  }
  CLI::App app{kProgramSummary, "krtool"};
  Runner runner;
  for (SetupFn setup : {setup_new_selfsigned, setup_new_csr, setup_import, setup_export, setup_test_cert,
                        setup_serve, setup_test_client, setup_new_crl, setup_revoke}) {
    setup(app, runner);
  }
  const std::vector<CommandDoc> commands = describe_commands(app);
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << (kind == "man" ? man_page(commands, kProgramSummary, kProgramVersion) : bash_completion(commands));
  out.close();
  if (!out) {
    std::cerr << "krtool-docgen: cannot write " << argv[2] << '\n';
    return 1;
  }
  return 0;
}
