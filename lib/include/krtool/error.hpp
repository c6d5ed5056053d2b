// krtool::Error is the one exception type that libkrtool throws. It carries what happened, a hint on
// how to fix it, and the category that decides the process exit code (the contract's exit codes, which
// the man page's EXIT STATUS lists).
#pragma once

#include <stdexcept>
#include <string>

namespace krtool {

// Errc groups failures by what the user has to do about them; exit_code() maps each to the contract.
enum class Errc {
  CheckFailed,  // a check the user asked for said no (test-cert verdict, test-client expectation): 1
  Usage,        // unknown flag, bad value, conflicting flags, output that exists without --force: 2
  Input,        // unreadable, corrupt or mismatched file, wrong password: 3
  Tls,          // TLS handshake or verification failure: 4
  Network,      // refused, unreachable, timed out, unresolvable: 5
  Internal,     // OpenSSL or the OS failed where it should not: 1
  Interrupted,  // SIGINT: 130
};

int exit_code(Errc code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}

  Errc code() const noexcept { return code_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  Errc code_;
  std::string hint_;
};

}  // namespace krtool
