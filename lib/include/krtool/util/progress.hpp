// Progress of work that can take more than a second (an RSA 4096 key, compiling validation code, an
// online revocation fetch). The library announces such a step; whether anyone sees it is the program's
// choice: the default sink shows nothing, and krtool installs one that draws a transient line on a
// terminal. An embedding C++ program may install its own.
#pragma once

#include <string>
#include <string_view>

namespace krtool::progress {

// Sink receives the steps. Steps may run on any thread, and may nest; a sink serialises them itself.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void begin(std::string_view what) = 0;  // what: "generating an RSA 4096 key"
  virtual void end(std::string_view what) = 0;
};

// set_sink installs the process-wide sink and returns the previous one; nullptr restores the silent
// default. The sink is not owned and must outlive every step that can run while it is installed.
Sink* set_sink(Sink* sink);

// Step announces one piece of slow work for as long as it is in scope.
class Step {
 public:
  explicit Step(std::string what);
  ~Step();
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  std::string what_;
  Sink* sink_;  // the sink that saw begin() sees end(), even if another is installed meanwhile
};

}  // namespace krtool::progress
