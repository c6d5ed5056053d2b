// The man page and the bash completion script, generated from the same CLI11 definitions that parse
// krtool's command line, so that neither can drift from the flags krtool accepts.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace krtool::app {

// OptionDoc is one option of one command as the generators see it.
struct OptionDoc {
  std::vector<std::string> names;    // "-X", "--method"; empty for a positional
  std::string positional;            // "url", "file": the name of a positional argument
  std::string value;                 // "FILE", "rsa|ecdsa|ed25519", "INT"; empty for a flag
  std::vector<std::string> choices;  // the words of a value written a|b|c
  std::string description;
  bool required = false;
  std::vector<std::string> needs, excludes;
};

// CommandDoc is one subcommand and its options, in the order --help lists them.
struct CommandDoc {
  std::string name, description;
  std::vector<OptionDoc> options;
};

// describe_commands reads every subcommand that `app` has set up.
std::vector<CommandDoc> describe_commands(CLI::App& app);

// man_page renders krtool(1) in man(7) markup; bash_completion renders a script for
// bash-completion's completions folder (also usable with `source`).
std::string man_page(const std::vector<CommandDoc>& commands, const std::string& summary,
                     const std::string& version);
std::string bash_completion(const std::vector<CommandDoc>& commands);

}  // namespace krtool::app
