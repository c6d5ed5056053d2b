// Flags and output shared by several subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "krtool/util/password.hpp"

namespace krtool::app {

// PasswordFlags binds --<prefix>password, --<prefix>password-file, --<prefix>password-env and
// --<prefix>no-password (at most one of them) to a PasswordSource, under the --help heading `group`.
struct PasswordFlags {
  std::string value, file, env;
  bool none = false;
  std::string prefix;

  void add_to(CLI::App* command, std::string_view prefix, std::string_view what,
              const std::string& group = "Passwords");
  PasswordSource source() const;
};

// print_json prints exactly one JSON document on stdout.
void print_json(const nlohmann::json& document);

// warn prints "krtool: warning: ..." on stderr.
void warn(std::string_view message);

}  // namespace krtool::app
