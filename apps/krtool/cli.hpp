// The parse-and-run loop both programs share: krtool (the certificate commands) and krtool-net (serve
// and test-client), so that a command parses, fails and exits the same way whichever program runs it.
#pragma once

#include <span>

#include "command.hpp"
#include "krtool/error.hpp"

namespace krtool::app {

inline constexpr const char* kProgramSummary =
    "certificates, a development HTTPS server and a test client for mutual TLS";
inline constexpr const char* kProgramVersion = "krtool 0.1.0";

// CommandSummary names a command that the other program runs, for the listing of `--help`.
struct CommandSummary {
  const char* name;
  const char* description;
};

// serve and test-client, as krtool lists them; their setup functions use the same texts.
inline constexpr CommandSummary kServeSummary{
    "serve", "Run a development HTTPS server with client-certificate authentication"};
inline constexpr CommandSummary kTestClientSummary{
    "test-client",
    "Call an HTTPS URL with an optional client certificate and explain what each layer decided"};

// run_cli parses argv against `commands`, runs the chosen one and returns the process's exit code.
// `listed` only appears in the --help listing.
int run_cli(int argc, char** argv, std::span<const CommandSpec> commands,
            std::span<const CommandSummary> listed);

// report_error prints "krtool: error: ..." and the hint on stderr and returns the error's exit code.
int report_error(const Error& error);

}  // namespace krtool::app
