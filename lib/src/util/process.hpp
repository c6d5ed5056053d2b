// Running a helper program (the C++ compiler for validation code) without a shell, with its output
// captured and its run time bounded.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krtool::process {

struct Outcome {
  bool exited = false;   // false: killed by a signal (see signal), or by us after the timeout
  int exit_status = -1;  // when exited
  int signal = 0;        // when killed
  bool timed_out = false;
  std::string
      output;  // stdout and stderr interleaved, as a terminal would show them (truncated to the limit)
};

// run starts `argv` (argv[0] an absolute or relative path, not searched on PATH) with the environment
// of this process, stdin from /dev/null, in a process group of its own, and waits for it at most
// `timeout`; then the whole group (a compiler driver and its cc1plus, as, ld) is killed. Output beyond
// `output_limit` bytes is read and dropped. Throws Error(Usage) when the program cannot be started,
// Error(Internal) when the OS fails.
Outcome run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
            size_t output_limit = 1024 * 1024);

// find_program resolves a command name the way a shell would: a name with a '/' is a path (made
// absolute), any other is searched in $PATH; only executable regular files count.
std::optional<std::filesystem::path> find_program(std::string_view name);

}  // namespace krtool::process
