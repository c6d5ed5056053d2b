// Validation code runs on a worker thread and the handshake waits for it at most
// ServerTlsOptions::validation_deadline: code that never returns costs its handshake, logged with the
// reason, and the next handshake is not held up behind it.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "krtool/tls/validation_calls.hpp"
#include "support/pipe.hpp"
#include "tls/validation_calls.hpp"
#include "unit/tls/tls_fixtures.hpp"
#include "unit/tls/validation_fixtures.hpp"

namespace krtool::test {
namespace {

using Clock = std::chrono::steady_clock;

// Gate holds validation code until the test releases it: the code blocks reading the pipe, and the
// test closes the writing end (every blocked read then returns), so that "never returns" costs no
// waiting and no abandoned call outlives its test.
class Gate {
 public:
  Gate() = default;
  ~Gate() {
    release();
    // Each test ends with its calls returned; a failed assertion must not leave one to the next test.
    tls::wait_for_validation_calls(std::chrono::seconds(10));
  }
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  void release() { pipe_.close_write(); }
  // code is validation code (a whole file) that says it started, then accepts once the gate opens.
  std::string code() const {
    return "#include <krtool/validation.hpp>\n#include <unistd.h>\n"
           "bool validate(const krtool::Certificate*, const krtool::Chain&, krtool::SslPolicyErrors) {\n"
           "  char byte = 's';\n  if (::write(" +
           std::to_string(started_.write_end()) + ", &byte, 1) < 0) return false;\n  while (::read(" +
           std::to_string(pipe_.read_end()) + ", &byte, 1) > 0) {\n  }\n  return true;\n}\n";
  }
  // calls_started reads one byte per call of code() that began, waiting at most 10 s for `count` of them.
  bool calls_started(int count) const {
    for (int seen = 0; seen < count; ++seen) {
      pollfd entry{started_.read_end(), POLLIN, 0};
      char byte;
      if (::poll(&entry, 1, 10000) != 1 || ::read(started_.read_end(), &byte, 1) != 1) return false;
    }
    return true;
  }
  // wait blocks in-process code the same way.
  bool wait() const {
    char byte;
    while (::read(pipe_.read_end(), &byte, 1) > 0) {
    }
    return true;
  }

 private:
  Pipe pipe_;
  Pipe started_;
};

// handshake_not_held runs a handshake that must end by itself, at the deadline; should it wait for the
// held code instead, the gate opens after 10 s so that the test fails rather than hangs.
HandshakeOutcome handshake_not_held(const TestServer& server, Gate& gate) {
  auto pending = std::async(std::launch::async, [&server] { return server.connect(ClientKind::Valid); });
  if (pending.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    gate.release();
    FAIL_CHECK("the handshake waited for validation code past its deadline");
  }
  return pending.get();
}

// The smallest deadline there is: code that is held is past it whatever the machine's load.
constexpr std::chrono::milliseconds kShortest{1};

TestServer server_with(const tls::LoadedPolicy& loaded, std::chrono::milliseconds deadline, LogLines& log) {
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = loaded.policy;
  options.validation_deadline = deadline;
  options.log = log.sink();
  return TestServer(std::move(options));
}

}  // namespace

TEST_CASE("validation code that does not return rejects the handshake at the deadline, with the reason",
          "[tls][validation][deadline]") {
  Gate gate;  // held for the whole test: as good as never for the handshakes
  const tls::LoadedPolicy loaded = CodeLab::shared_body(gate.code());
  LogLines log;
  const TestServer server = server_with(loaded, kShortest, log);
  const std::size_t before = tls::validation_calls_running();

  for (int attempt = 0; attempt < 2; ++attempt) {  // the second is not queued behind the first
    CAPTURE(attempt);
    const HandshakeOutcome outcome = handshake_not_held(server, gate);
    CHECK_FALSE(outcome.completed);
    REQUIRE(outcome.verdict.has_value());
    CHECK_FALSE(outcome.verdict->accepted);
    CHECK(outcome.verdict->decided_by == loaded.policy->name());
  }
  CHECK_THAT(log.all(), Catch::Contains("rejected client certificate 'CN=alice, O=krtool tests'") &&
                            Catch::Contains("(validation code did not return within 0.001 s)"));
  // Both calls run at once, each on a worker of its own: the second was not queued behind the first,
  // which is still held. (The count below includes calls waiting in the queue, so it cannot tell.)
  CHECK(gate.calls_started(2));
  CHECK(tls::validation_calls_running() == before + 2);  // both calls are abandoned, still running
  const std::vector<std::string> running = tls::validation_code_running();
  CHECK(std::find(running.begin(), running.end(), loaded.policy->name()) != running.end());
}

TEST_CASE("an abandoned call that returns later is no longer counted", "[tls][validation][deadline]") {
  Gate gate;
  const tls::LoadedPolicy loaded = CodeLab::shared_body(gate.code());
  LogLines log;
  const TestServer server = server_with(loaded, kShortest, log);
  const std::size_t before = tls::validation_calls_running();
  CHECK_FALSE(handshake_not_held(server, gate).completed);
  CHECK(tls::validation_calls_running() == before + 1);
  gate.release();
  CHECK(tls::wait_for_validation_calls(std::chrono::seconds(10)));
  CHECK(tls::validation_calls_running() == 0);
}

TEST_CASE("validation code that answers within the deadline decides the handshake as before",
          "[tls][validation][deadline]") {
  const tls::LoadedPolicy accept = CodeLab::shared_body("return certificate != nullptr;");
  const tls::LoadedPolicy refuse = CodeLab::shared_body("return false;");
  const tls::LoadedPolicy throws = CodeLab::shared_body("throw std::runtime_error(\"no alice today\");");
  LogLines log;
  CHECK(server_with(accept, std::chrono::seconds(10), log).connect(ClientKind::Valid).completed);
  CHECK_FALSE(server_with(refuse, std::chrono::seconds(10), log).connect(ClientKind::Valid).completed);
  CHECK_FALSE(server_with(throws, std::chrono::seconds(10), log).connect(ClientKind::Valid).completed);
  CHECK_THAT(log.all(), Catch::Contains("(the policy threw: no alice today)"));
  CHECK_THAT(log.all(), !Catch::Contains("did not return"));
}

TEST_CASE("wait_for_validation_calls returns once the calls are done", "[tls][validation][deadline]") {
  REQUIRE(tls::wait_for_validation_calls(std::chrono::seconds(10)));  // no earlier test's call is left
  Gate gate;
  CHECK(tls::call_with_deadline("slow", kShortest, [&gate] { return gate.wait(); }) == std::nullopt);
  CHECK(tls::validation_calls_running() == 1);
  CHECK(tls::validation_code_running() == std::vector<std::string>{"slow"});
  CHECK_FALSE(tls::wait_for_validation_calls(kShortest));  // still held
  gate.release();
  CHECK(tls::wait_for_validation_calls(std::chrono::seconds(10)));
  CHECK(tls::validation_calls_running() == 0);
}

// Not run by default: the cost of one call through the workers against a thread started per call, the
// measurement that chose the pool (run: krtool_unit_tests "[.bench]" -s).
TEST_CASE("a call through the worker pool costs less than a thread per call", "[.bench]") {
  constexpr int kCalls = 2000;
  const auto per_call = [](Clock::duration total) {
    return std::chrono::duration<double, std::micro>(total).count() / kCalls;
  };
  const auto pool_start = Clock::now();
  for (int i = 0; i < kCalls; ++i)
    REQUIRE(tls::call_with_deadline("bench", std::chrono::seconds(10), [] { return true; }) == true);
  const double pool = per_call(Clock::now() - pool_start);
  const auto thread_start = Clock::now();
  for (int i = 0; i < kCalls; ++i) {
    bool answer = false;
    std::thread([&answer] { answer = true; }).join();
    REQUIRE(answer);
  }
  const double thread = per_call(Clock::now() - thread_start);
  WARN("worker pool: " << pool << " us per call; thread per call: " << thread << " us per call");
  CHECK(pool < thread);
}

}  // namespace krtool::test
