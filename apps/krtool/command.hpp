// The command table's shape (CLI11's subcom_in_files, ninja's tool table): each subcommand file has an
// options struct, setup_<verb>() that binds flags into it, and run_<verb>() that does the work after
// parsing, so that parsing alone has no side effects.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace krtool::app {

// Runner holds the action that the chosen subcommand stored while parsing; main runs it afterwards.
struct Runner {
  std::function<int()> action;
};

using SetupFn = void (*)(CLI::App& parent, Runner& runner);

struct CommandSpec {
  const char* name;
  SetupFn setup;
};

void setup_new_selfsigned(CLI::App& parent, Runner& runner);
void setup_new_csr(CLI::App& parent, Runner& runner);
void setup_import(CLI::App& parent, Runner& runner);
void setup_export(CLI::App& parent, Runner& runner);
void setup_test_cert(CLI::App& parent, Runner& runner);
void setup_serve(CLI::App& parent, Runner& runner);
void setup_test_client(CLI::App& parent, Runner& runner);
void setup_trust(CLI::App& parent, Runner& runner);

}  // namespace krtool::app
