#include "cli.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "help_format.hpp"
#include "krtool/error.hpp"
#include "openssl_setup.hpp"
#include "terminal.hpp"
#include "usage_errors.hpp"

namespace krtool::app {
namespace {

// g_json_errors: the command was given --json, so its errors are also a JSON document on stdout, and a
// script that parses stdout always gets one.
bool g_json_errors = false;

bool wants_json(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

const CommandSpec* find_command(std::span<const CommandSpec> commands, std::string_view name) {
  for (const CommandSpec& command : commands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

int report(std::string_view message, std::string_view hint, int code) {
  const Style style = style_for(STDERR_FILENO);
  std::cerr << style.paint("krtool: error:", "31;1") << ' ' << message << '\n';
  if (!hint.empty()) std::cerr << "  " << style.paint("hint:", "1") << ' ' << hint << '\n';
  if (g_json_errors) {
    nlohmann::json document;
    document["error"] = message;
    document["hint"] = hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(hint);
    document["exitCode"] = code;
    print_json(document);
  }
  return code;
}

int report_usage(const UsageProblem& problem) {
  return report(problem.message, problem.hint, exit_code(Errc::Usage));
}

// front_door answers what needs no command set up (nothing at all, `krtool --help`, a mistyped
// command) and brings every other way of asking for help into one form: `help serve` and `-h serve`
// become `serve --help`, `--version` becomes `version`. It returns an exit code when it answered.
std::optional<int> front_door(std::vector<std::string>& args, std::span<const CommandSpec> commands) {
  if (args.empty()) {
    std::cerr << usage_text(commands, style_for(STDERR_FILENO));
    return exit_code(Errc::Usage);
  }
  const std::string first = args.front();
  if (first == "-h" || first == "--help" || first == "help") {
    if (args.size() == 1) {
      std::cout << usage_text(commands, style_for(STDOUT_FILENO));
      return 0;
    }
    if (find_command(commands, args[1]) != nullptr) {
      // `help policy test` is `policy test --help`: the words that name a command, then --help.
      std::vector<std::string> path;
      for (auto word = args.begin() + 1; word != args.end() && !word->starts_with('-'); ++word)
        path.push_back(*word);
      path.push_back("--help");
      args = std::move(path);
    } else {
      args = {"help", args[1]};
    }
  } else if (first == "--version") {
    args.front() = "version";
  }
  if (find_command(commands, args.front()) != nullptr) return std::nullopt;
  if (first.size() > 1 && first.front() == '-') {
    CLI::App top{kProgramSummary, "krtool"};
    top.set_version_flag("--version", kProgramVersion);
    return report_usage(unknown_flag(first, top));
  }
  return report_usage(unknown_command(first, commands));
}

// chosen_command is the deepest subcommand the parse reached, or the program itself.
const CLI::App& chosen_command(const CLI::App& app) {
  const CLI::App* command = &app;
  while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
  return *command;
}

// unknown_subcommand_in: a word left over by a command with commands of its own names none of them.
std::optional<UsageProblem> unknown_subcommand_in(const CLI::App& command) {
  if (subcommand_names(command).empty()) return std::nullopt;
  for (const std::string& word : command.remaining()) {
    if (!word.starts_with('-')) return unknown_subcommand(word, command);
  }
  return std::nullopt;
}

}  // namespace

int report_error(const Error& error) { return report(error.what(), error.hint(), exit_code(error.code())); }

int run_cli(int argc, char** argv, std::span<const CommandSpec> commands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  g_json_errors = wants_json(args);
  if (const std::optional<int> answered = front_door(args, commands)) return *answered;

  CLI::App app{fmt::format("krtool: {}", kProgramSummary), "krtool"};
  app.formatter(std::make_shared<HelpFormatter>(style_for(STDOUT_FILENO)));
  app.option_defaults()->always_capture_default();  // --help shows the default each option starts with
  app.require_subcommand(1, 1);
  app.fallthrough(false);
  Runner runner{{}, commands};
  // Only the command that runs is set up: setting one up builds all of its option objects (serve alone
  // has a few dozen), which is most of CLI11's share of a `new-selfsigned` run.
  find_command(commands, args.front())->setup(app, runner);

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    // `policy tset --help` asks for the help of a command policy does not have: CLI11 would answer with
    // policy's own.
    if (const std::optional<UsageProblem> problem = unknown_subcommand_in(chosen_command(app)))
      return report_usage(*problem);
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    const CLI::App& command = chosen_command(app);
    std::vector<std::string> extras = command.remaining();
    for (const std::string& extra : app.remaining()) extras.push_back(extra);
    return report_usage(describe_parse_error(e, command, extras));
  }

  try {
    show_progress_on_terminal();
    prepare_openssl();
    return runner.action ? runner.action() : 0;
  } catch (const Error& e) {
    return report_error(e);
  } catch (const std::exception& e) {
    return report(fmt::format("unexpected failure: {}", e.what()), "please report this as a bug", 1);
  }
}

}  // namespace krtool::app
