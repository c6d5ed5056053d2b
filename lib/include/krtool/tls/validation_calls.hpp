// Calls into validation code (a compiled TLS validation callback) run on threads of their own, and a
// handshake waits for each at most a deadline: code that loops or blocks costs its handshake, not the
// server. A call that misses its deadline is abandoned, not stopped (nothing can stop a thread safely),
// and keeps running on its own copies of the certificates. These queries let a server that stops tell
// whether such calls still run, and so whether it can exit on its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace krtool::tls {

// validation_calls_running counts the calls into validation code that have not returned, in the whole
// process: the ones a handshake waits for and the ones abandoned at their deadline.
std::size_t validation_calls_running();

// validation_code_running names the policies of those calls, each once, in the order first started.
std::vector<std::string> validation_code_running();

// wait_for_validation_calls waits up to `grace` for every call to return; true when none is left.
bool wait_for_validation_calls(std::chrono::milliseconds grace);

}  // namespace krtool::tls
