// krtool's entry point: the command table, parsing, the one catch site and the exit codes.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <iostream>
#include <span>
#include <string_view>

#include "command.hpp"
#include "krtool/error.hpp"
#include "openssl_setup.hpp"

namespace {

using krtool::app::CommandSpec;

constexpr CommandSpec kCommands[] = {
    {"new-selfsigned", krtool::app::setup_new_selfsigned},
    {"new-csr", krtool::app::setup_new_csr},
    {"import", krtool::app::setup_import},
    {"export", krtool::app::setup_export},
    {"test-cert", krtool::app::setup_test_cert},
    {"serve", krtool::app::setup_serve},
    {"test-client", krtool::app::setup_test_client},
};

// commands_to_set_up picks what CLI11 has to know. Setting a command up builds all of its option objects
// (serve alone has a few dozen), and a run needs only the one it names; that is most of CLI11's share of
// a `new-selfsigned` run. Any other first argument (--help, --version, a typo, nothing) sets all of them
// up, for the full listing and CLI11's own errors.
std::span<const CommandSpec> commands_to_set_up(int argc, char** argv) {
  if (argc > 1) {
    for (const CommandSpec& command : kCommands) {
      if (std::string_view(argv[1]) == command.name) return {&command, 1};
    }
  }
  return kCommands;
}

void print_error(std::string_view message, std::string_view hint) {
  std::cerr << "krtool: error: " << message << '\n';
  if (!hint.empty()) std::cerr << "  hint: " << hint << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"krtool: certificates, a development HTTPS server and a test client for mutual TLS", "krtool"};
  app.set_version_flag("--version", "krtool 0.1.0");
  app.require_subcommand(1, 1);
  app.fallthrough(false);
  krtool::app::Runner runner;
  for (const CommandSpec& command : commands_to_set_up(argc, argv)) command.setup(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string where = "krtool --help";
    for (const CLI::App* sub : app.get_subcommands()) where = fmt::format("krtool {} --help", sub->get_name());
    print_error(e.what(), fmt::format("see '{}'", where));
    return krtool::exit_code(krtool::Errc::Usage);
  }

  try {
    krtool::app::prepare_openssl();
    return runner.action ? runner.action() : 0;
  } catch (const krtool::Error& e) {
    print_error(e.what(), e.hint());
    return krtool::exit_code(e.code());
  } catch (const std::exception& e) {
    print_error(fmt::format("unexpected failure: {}", e.what()), "please report this as a bug");
    return 1;
  }
}
