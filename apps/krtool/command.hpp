// The command table's shape (CLI11's subcom_in_files, ninja's tool table): each subcommand file has an
// options struct, setup_<verb>() that binds flags into it, and run_<verb>() that does the work after
// parsing, so that parsing alone has no side effects.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <span>

namespace krtool::app {

struct CommandSpec;

// Runner holds the action that the chosen subcommand stored while parsing; main runs it afterwards.
struct Runner {
  std::function<int()> action;
  std::span<const CommandSpec> commands;  // the whole table, for `krtool help`
};

using SetupFn = void (*)(CLI::App& parent, Runner& runner);

// CommandSpec is one row of the table: `krtool --help` lists `summary` under the heading `group`.
struct CommandSpec {
  const char* name;
  const char* group;    // "Certificates", "Server", "Client", "Help"
  const char* summary;  // one line, lower case: "run the development HTTPS server"
  SetupFn setup;
};

void setup_new_selfsigned(CLI::App& parent, Runner& runner);
void setup_new_csr(CLI::App& parent, Runner& runner);
void setup_import(CLI::App& parent, Runner& runner);
void setup_export(CLI::App& parent, Runner& runner);
void setup_test_cert(CLI::App& parent, Runner& runner);
void setup_serve(CLI::App& parent, Runner& runner);
void setup_test_client(CLI::App& parent, Runner& runner);
void setup_new_lab(CLI::App& parent, Runner& runner);
void setup_caroot(CLI::App& parent, Runner& runner);
void setup_help(CLI::App& parent, Runner& runner);
void setup_version(CLI::App& parent, Runner& runner);
void setup_revoke(CLI::App& parent, Runner& runner);
void setup_new_crl(CLI::App& parent, Runner& runner);
void setup_policy(CLI::App& parent, Runner& runner);
void setup_trust(CLI::App& parent, Runner& runner);

}  // namespace krtool::app
