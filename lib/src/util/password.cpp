#include "krtool/util/password.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "krtool/error.hpp"
#include "krtool/util/files.hpp"

namespace krtool {

PasswordSource PasswordSource::value(std::string v, std::string flag) {
  return {Kind::Value, std::move(v), std::move(flag)};
}
PasswordSource PasswordSource::file(std::string path, std::string flag) {
  return {Kind::File, std::move(path), std::move(flag)};
}
PasswordSource PasswordSource::env(std::string var, std::string flag) {
  return {Kind::Env, std::move(var), std::move(flag)};
}
PasswordSource PasswordSource::empty(std::string flag) { return {Kind::Empty, {}, std::move(flag)}; }

std::optional<std::string> read_password(const PasswordSource& source) {
  switch (source.kind) {
    case PasswordSource::Kind::Unspecified:
      return std::nullopt;
    case PasswordSource::Kind::Empty:
      return std::string();
    case PasswordSource::Kind::Value:
      return source.argument;
    case PasswordSource::Kind::File: {
      std::string text = files::read_file(source.argument, "password");
      const size_t end = text.find_first_of("\r\n");
      if (end != std::string::npos) text.resize(end);
      return text;
    }
    case PasswordSource::Kind::Env: {
      const char* value = std::getenv(source.argument.c_str());
      if (value == nullptr) {
        throw Error(Errc::Usage,
                    fmt::format("{} {}: the environment variable is not set", source.flag, source.argument),
                    fmt::format("export {}=... first, or use --password-file", source.argument));
      }
      return std::string(value);
    }
  }
  return std::nullopt;
}

namespace {

std::string read_line_without_echo(std::FILE* tty, std::string_view prompt) {
  const int fd = fileno(tty);
  termios saved{};
  const bool have_termios = tcgetattr(fd, &saved) == 0;
  if (have_termios) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::fprintf(tty, "%.*s", static_cast<int>(prompt.size()), prompt.data());
  std::fflush(tty);
  std::string line;
  for (int c = std::fgetc(tty); c != EOF && c != '\n'; c = std::fgetc(tty)) {
    if (c != '\r') line.push_back(static_cast<char>(c));
  }
  if (have_termios) tcsetattr(fd, TCSAFLUSH, &saved);
  std::fputc('\n', tty);
  std::fflush(tty);
  return line;
}

}  // namespace

std::optional<std::string> terminal_prompt(std::string_view purpose, bool confirm) {
  if (isatty(STDIN_FILENO) == 0) return std::nullopt;
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) return std::nullopt;
  std::string first = read_line_without_echo(tty, fmt::format("Password for {}: ", purpose));
  if (confirm) {
    const std::string second = read_line_without_echo(tty, "Repeat the password: ");
    if (second != first) {
      std::fclose(tty);
      throw Error(Errc::Usage, "the two passwords differ",
                  "run the command again and type the same password twice");
    }
  }
  std::fclose(tty);
  return first;
}

}  // namespace krtool
