// krtool version (and --version): what a bug report needs. OpenSSL's version is given twice because the
// library krtool runs with can be newer than the headers it was built against.
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"

namespace krtool::app {
namespace {

int run_version(bool json) {
  const char* runtime = OpenSSL_version(OPENSSL_VERSION);
  if (json) {
    print_json({{"version", KRTOOL_VERSION},
                {"buildType", KRTOOL_BUILD_TYPE},
                {"openssl", {{"runtime", runtime}, {"build", OPENSSL_VERSION_TEXT}}}});
    return 0;
  }
  std::cout << "krtool " << KRTOOL_VERSION << " (" << KRTOOL_BUILD_TYPE << " build)\n"
            << "OpenSSL runtime:    " << runtime << '\n'
            << "OpenSSL build:      " << OPENSSL_VERSION_TEXT << '\n';
  return 0;
}

}  // namespace

void setup_version(CLI::App& parent, Runner& runner) {
  auto json = std::make_shared<bool>(false);
  CLI::App* command = parent.add_subcommand(
      "version", "Print krtool's version, the OpenSSL it runs with and was built with, and the build type");
  command
      ->add_flag("--json", *json,
                 "Print one JSON document: version, buildType, openssl.runtime, openssl.build")
      ->group("Output");
  command->footer(examples_footer({"krtool version", "krtool --version", "krtool version --json"}));
  command->callback([&runner, json] { runner.action = [json] { return run_version(*json); }; });
}

}  // namespace krtool::app
