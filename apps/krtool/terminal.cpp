#include "terminal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace krtool::app {

bool colour_allowed(bool is_terminal, const char* no_color) {
  return is_terminal && (no_color == nullptr || *no_color == '\0');
}

std::string Style::paint(std::string_view text, std::string_view code) const {
  return colour ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
}

Style style_for(int fd) { return Style{colour_allowed(isatty(fd) == 1, std::getenv("NO_COLOR"))}; }

std::string progress_line(std::string_view what, const Style& style) {
  return fmt::format("\r\033[K{} {}\u2026", style.paint("\u22ef", "36"), what);
}

std::string progress_clear() { return "\r\033[K"; }

void TerminalProgress::begin(std::string_view what) {
  const std::lock_guard lock(mutex_);
  ++depth_;
  out_ << progress_line(what, style_) << std::flush;
}

void TerminalProgress::end(std::string_view) {
  const std::lock_guard lock(mutex_);
  if (--depth_ == 0) out_ << progress_clear() << std::flush;
}

void show_progress_on_terminal() {
  if (isatty(STDERR_FILENO) != 1) return;
  // Never destroyed: a step may still end on another thread while the process exits.
  static TerminalProgress* const sink = new TerminalProgress(std::cerr, style_for(STDERR_FILENO));
  progress::set_sink(sink);
}

}  // namespace krtool::app
