// Where a password comes from: a value, a file, an environment variable, explicitly none, or (on a
// terminal) a prompt without echo. Passwords are never printed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace krtool {

struct PasswordSource {
  enum class Kind { Unspecified, Value, File, Env, Empty };
  Kind kind = Kind::Unspecified;
  std::string argument;  // the value, the file's path or the variable's name
  std::string flag;      // the flag it came from, for messages ("--password-file")

  static PasswordSource value(std::string v, std::string flag = "--password");
  static PasswordSource file(std::string path, std::string flag = "--password-file");
  static PasswordSource env(std::string var, std::string flag = "--password-env");
  static PasswordSource empty(std::string flag = "--no-password");
  bool specified() const { return kind != Kind::Unspecified; }
};

// read_password returns the password the source names, or nullopt when it names none. A file gives its
// first line without the line ending (as openssl's file: source). Throws Error(Usage) for an unset
// variable and Error(Input) for an unreadable file.
std::optional<std::string> read_password(const PasswordSource& source);

// PasswordPrompt asks for a password when one is needed and none was given; it returns nullopt when it
// cannot ask (no terminal). `purpose` says what the password is for.
using PasswordPrompt = std::function<std::optional<std::string>(std::string_view purpose, bool confirm)>;

// terminal_prompt asks on /dev/tty without echo when standard input is a terminal, else returns nullopt.
std::optional<std::string> terminal_prompt(std::string_view purpose, bool confirm);

}  // namespace krtool
