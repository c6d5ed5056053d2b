// What krtool draws only for a person at a terminal: colour (never with NO_COLOR, https://no-color.org,
// nor into a pipe or a file) and transient progress lines on stderr.
#pragma once

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "krtool/util/progress.hpp"

namespace krtool::app {

// colour_allowed is the rule in one place: a terminal, and NO_COLOR unset or empty.
bool colour_allowed(bool is_terminal, const char* no_color);

// Style paints text with an SGR code ("1" bold, "31;1" bold red) when colour is on.
struct Style {
  bool colour = false;
  std::string paint(std::string_view text, std::string_view code) const;
};

// style_for is the Style for a file descriptor (STDOUT_FILENO, STDERR_FILENO) in this environment.
Style style_for(int fd);

// progress_line is what the terminal shows while a step runs ("\r⋯ generating an RSA 4096 key…");
// progress_clear is what erases it when the step ends, so that the next output starts on a clean line.
std::string progress_line(std::string_view what, const Style& style);
std::string progress_clear();

// TerminalProgress draws the library's progress steps on `out`; the innermost running step is shown.
class TerminalProgress : public progress::Sink {
 public:
  TerminalProgress(std::ostream& out, Style style) : out_(out), style_(style) {}
  void begin(std::string_view what) override;
  void end(std::string_view what) override;

 private:
  std::ostream& out_;
  Style style_;
  std::mutex mutex_;
  int depth_ = 0;
};

// show_progress_on_terminal installs a TerminalProgress on stderr when stderr is a terminal.
void show_progress_on_terminal();

}  // namespace krtool::app
