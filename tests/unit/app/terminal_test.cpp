// Colour and progress lines: only for a terminal, never with NO_COLOR, and a progress line always
// erased before the next output.
#include "terminal.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using krtool::app::colour_allowed;
using krtool::app::Style;

TEST_CASE("colour only on a terminal, and never with NO_COLOR set to anything", "[app][terminal]") {
  CHECK(colour_allowed(true, nullptr));
  CHECK(colour_allowed(true, ""));  // no-color.org: an empty NO_COLOR does not count
  CHECK_FALSE(colour_allowed(true, "1"));
  CHECK_FALSE(colour_allowed(false, nullptr));
  CHECK(Style{false}.paint("error:", "31") == "error:");
  CHECK(Style{true}.paint("error:", "31") == "\033[31merror:\033[0m");
}

TEST_CASE("a progress line is drawn over the current line and erased when its step ends", "[app][terminal]") {
  const std::string line = krtool::app::progress_line("generating an RSA 4096 key", Style{false});
  CHECK(line.rfind("\r\033[K", 0) == 0);
  CHECK(line.find("generating an RSA 4096 key") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);  // transient: nothing scrolls
  CHECK(krtool::app::progress_clear() == "\r\033[K");
}

TEST_CASE("the terminal sink shows nested steps and erases only when the outermost ends", "[app][terminal]") {
  std::ostringstream out;
  krtool::app::TerminalProgress sink(out, Style{false});
  sink.begin("outer");
  sink.begin("inner");
  sink.end("inner");
  const std::string before_outer_end = out.str();
  sink.end("outer");
  CHECK(before_outer_end == krtool::app::progress_line("outer", Style{false}) +
                                krtool::app::progress_line("inner", Style{false}));
  CHECK(out.str() == before_outer_end + krtool::app::progress_clear());
}
