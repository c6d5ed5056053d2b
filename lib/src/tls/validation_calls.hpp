// The TLS layer's side of krtool/tls/validation_calls.hpp: a call into validation code, made on a
// worker thread while the caller waits at most a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "krtool/tls/validation_calls.hpp"

namespace krtool::tls {

// call_with_deadline runs `call` on a worker thread and returns its answer, rethrows what it threw, or
// returns nullopt when it did not return within `deadline`. Then the call is abandoned: it keeps running,
// and is counted by validation_calls_running() under `policy` until it returns. `call` must own
// everything it touches (copies, up-referenced OpenSSL objects, a shared_ptr to its policy), since the
// caller's frame may be gone by the time it runs on.
std::optional<bool> call_with_deadline(const std::string& policy, std::chrono::milliseconds deadline,
                                       std::function<bool()> call);

// format_deadline writes a deadline as the messages give it: "10 s", "0.25 s".
std::string format_deadline(std::chrono::milliseconds deadline);

}  // namespace krtool::tls
