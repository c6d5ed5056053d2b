#include "krtool/util/password.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <csignal>
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

// EchoOff turns the terminal's echo off for its lifetime. A signal that ends the process meanwhile
// (Ctrl-C, kill, a closed terminal) would leave the user's shell without echo, so for those signals a
// handler restores the terminal, puts the previous handling back and raises the signal again: the
// process ends as it would have, with the terminal as it was.
class EchoOff {
 public:
  explicit EchoOff(int fd) {
    if (tcgetattr(fd, &saved_) != 0) return;
    fd_ = fd;
    active_ = this;
    struct sigaction restore {};
    restore.sa_handler = restore_and_reraise;
    sigemptyset(&restore.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &restore, &previous_[i]);
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd_, TCSAFLUSH, &quiet);
  }
  ~EchoOff() {
    if (fd_ < 0) return;
    tcsetattr(fd_, TCSAFLUSH, &saved_);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
    active_ = nullptr;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

  // Only async-signal-safe calls: tcsetattr, sigaction, raise.
  static void restore_and_reraise(int signal) {
    const EchoOff* self = active_;
    if (self != nullptr) {
      tcsetattr(self->fd_, TCSANOW, &self->saved_);
      for (size_t i = 0; i < kSignals.size(); ++i) {
        if (kSignals[i] == signal) sigaction(signal, &self->previous_[i], nullptr);
      }
    }
    // Blocked until this handler returns, then handled as before the prompt (by default: the end).
    raise(signal);
  }

  static inline const EchoOff* volatile active_ = nullptr;
  int fd_ = -1;
  termios saved_{};
  std::array<struct sigaction, kSignals.size()> previous_{};
};

std::string read_line_without_echo(std::FILE* tty, std::string_view prompt) {
  const EchoOff echo_off(fileno(tty));
  std::fprintf(tty, "%.*s", static_cast<int>(prompt.size()), prompt.data());
  std::fflush(tty);
  std::string line;
  for (int c = std::fgetc(tty); c != EOF && c != '\n'; c = std::fgetc(tty)) {
    if (c != '\r') line.push_back(static_cast<char>(c));
  }
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
