// CLI11's errors in krtool's words. CLI11 reports "Could not convert: --port = abc" or "At Most 1 required
// but received 2"; a user is owed what was wrong with which flag and how to write it instead, in the
// same one line + hint as every other krtool error (exit 2). Nothing of CLI11's wording gets through.
#pragma once

#include <CLI/CLI.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"

namespace krtool::app {

struct UsageProblem {
  std::string message;  // "--port: 'abc' is not a number"
  std::string hint;     // "give a port from 0 to 65535; see 'krtool serve --help'"
};

// command_path is how a user names `command`: "krtool", "krtool serve".
std::string command_path(const CLI::App& command);

// describe_parse_error translates `error`, thrown while parsing `command` (the subcommand that was
// chosen, or krtool itself); `extras` are the arguments nothing took (App::remaining()).
UsageProblem describe_parse_error(const CLI::Error& error, const CLI::App& command,
                                  const std::vector<std::string>& extras);

// unknown_flag describes a flag `command` does not have, with the nearest one it does.
UsageProblem unknown_flag(const std::string& typed, const CLI::App& command);

// unknown_command describes a first word that names no command, with the nearest command.
UsageProblem unknown_command(std::string_view typed, std::span<const CommandSpec> commands);

// A command with commands of its own (krtool policy): missing_subcommand says it needs one and how one
// is written; unknown_subcommand describes a word that names none of them, with the nearest.
UsageProblem missing_subcommand(const CLI::App& command);
UsageProblem unknown_subcommand(const std::string& typed, const CLI::App& command);

// subcommand_names are the names of `command`'s own commands ("test"), in the order they were set up.
std::vector<std::string> subcommand_names(const CLI::App& command);

}  // namespace krtool::app
