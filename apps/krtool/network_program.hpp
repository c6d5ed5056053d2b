// How krtool runs serve and test-client: by replacing itself with krtool-net (see apps/CMakeLists.txt).
#pragma once

namespace krtool::app {

// run_network_program execs krtool-net with krtool's own arguments, so the process (its PID, signals,
// standard streams and exit code) stays the one the user started. It returns only when krtool-net
// cannot be run, after printing why; the result is the exit code.
int run_network_program(char** argv);

}  // namespace krtool::app
