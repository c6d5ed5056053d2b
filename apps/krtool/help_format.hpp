// Help a person can scan (gh, step, cargo): options under headings, value names that say what goes
// there, each default shown once, exclusions stated once per heading instead of on every option, and
// the command's examples at the end.
#pragma once

#include <CLI/CLI.hpp>
#include <span>
#include <string>

#include "command.hpp"
#include "terminal.hpp"

namespace krtool::app {

class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(Style style = {}) : style_(style) {}
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;

 private:
  Style style_;
};

// usage_text is `krtool --help`: the commands under their groups, one line each, and two examples.
std::string usage_text(std::span<const CommandSpec> commands, const Style& style = {});

// examples_footer writes a command's examples in the form --help ends with and the reference
// generators read back from get_footer(): "Examples:\n  krtool ...\n  krtool ...".
std::string examples_footer(std::initializer_list<const char*> commands);

}  // namespace krtool::app
