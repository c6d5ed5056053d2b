// The parse-and-run loop: every command parses, fails and exits the same way.
#pragma once

#include <span>

#include "command.hpp"
#include "krtool/error.hpp"

namespace krtool::app {

inline constexpr const char* kProgramSummary =
    "certificates, a development HTTPS server and a test client for mutual TLS";
inline constexpr const char* kProgramVersion = "krtool " KRTOOL_VERSION;

// run_cli parses argv against `commands`, runs the chosen one and returns the process's exit code.
int run_cli(int argc, char** argv, std::span<const CommandSpec> commands);

// report_error prints "krtool: error: ..." and the hint on stderr (and, when the command was given
// --json, the same as one JSON document on stdout) and returns the error's exit code.
int report_error(const Error& error);

}  // namespace krtool::app
