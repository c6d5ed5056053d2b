#include "cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "krtool/error.hpp"
#include "openssl_setup.hpp"

namespace krtool::app {
namespace {

// commands_to_set_up picks what CLI11 has to know. Setting a command up builds all of its option objects
// (serve alone has a few dozen), and a run needs only the one it names; that is most of CLI11's share of
// a `new-selfsigned` run. Any other first argument (--help, --version, a typo, nothing) sets all of them
// up, for the full listing and CLI11's own errors.
std::span<const CommandSpec> commands_to_set_up(int argc, char** argv,
                                                std::span<const CommandSpec> commands) {
  if (argc > 1) {
    for (const CommandSpec& command : commands) {
      if (std::string_view(argv[1]) == command.name) return {&command, 1};
    }
  }
  return commands;
}

void print_error(std::string_view message, std::string_view hint) {
  std::cerr << "krtool: error: " << message << '\n';
  if (!hint.empty()) std::cerr << "  hint: " << hint << '\n';
}

}  // namespace

int report_error(const Error& error) {
  print_error(error.what(), error.hint());
  return exit_code(error.code());
}

int run_cli(int argc, char** argv, std::span<const CommandSpec> commands) {
  CLI::App app{fmt::format("krtool: {}", kProgramSummary), "krtool"};
  app.set_version_flag("--version", kProgramVersion);
  app.require_subcommand(1, 1);
  app.fallthrough(false);
  Runner runner;
  const std::span<const CommandSpec> chosen = commands_to_set_up(argc, argv, commands);
  for (const CommandSpec& command : chosen) command.setup(app, runner);

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
    for (const CLI::App* sub : app.get_subcommands())
      where = fmt::format("krtool {} --help", sub->get_name());
    print_error(e.what(), fmt::format("see '{}'", where));
    return exit_code(Errc::Usage);
  }

  try {
    prepare_openssl();
    return runner.action ? runner.action() : 0;
  } catch (const Error& e) {
    return report_error(e);
  } catch (const std::exception& e) {
    print_error(fmt::format("unexpected failure: {}", e.what()), "please report this as a bug");
    return 1;
  }
}

}  // namespace krtool::app
