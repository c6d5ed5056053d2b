// The progress seam: silent by default; a sink installed by the program sees every slow step begin and
// end, from the library code that does the work.
#include "krtool/util/progress.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "krtool/cert/key.hpp"

namespace {

struct Recorder : krtool::progress::Sink {
  std::vector<std::string> events;
  void begin(std::string_view what) override { events.push_back("begin " + std::string(what)); }
  void end(std::string_view what) override { events.push_back("end " + std::string(what)); }
};

// Installed shows `sink` for one scope.
struct Installed {
  krtool::progress::Sink* previous;
  explicit Installed(krtool::progress::Sink* sink) : previous(krtool::progress::set_sink(sink)) {}
  ~Installed() { krtool::progress::set_sink(previous); }
};

}  // namespace

TEST_CASE("a step tells the installed sink when it begins and ends", "[util][progress]") {
  Recorder recorder;
  {
    const Installed installed(&recorder);
    const krtool::progress::Step step("compiling");
    CHECK(recorder.events == std::vector<std::string>{"begin compiling"});
  }
  CHECK(recorder.events == std::vector<std::string>{"begin compiling", "end compiling"});
}

TEST_CASE("without a sink a step does nothing", "[util][progress]") {
  const krtool::progress::Step step("nobody watches");
  CHECK(krtool::progress::set_sink(nullptr) == nullptr);
}

TEST_CASE("RSA keys of 3072 bits and more announce their generation; smaller keys do not",
          "[util][progress]") {
  Recorder recorder;
  const Installed installed(&recorder);
  krtool::cert::KeySpec spec;
  spec.type = krtool::cert::KeyType::Ecdsa;
  (void)krtool::cert::generate_key(spec);
  CHECK(recorder.events.empty());
  spec.type = krtool::cert::KeyType::Rsa;
  spec.rsa_bits = 3072;
  (void)krtool::cert::generate_key(spec);
  CHECK(recorder.events ==
        std::vector<std::string>{"begin generating an RSA 3072 key", "end generating an RSA 3072 key"});
}
