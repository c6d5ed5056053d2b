// Validation code runs on a worker thread and the handshake waits for it at most
// ServerTlsOptions::validation_deadline: code that never returns costs its handshake, logged with the
// reason, and the next handshake is not held up behind it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "krtool/tls/validation_calls.hpp"
#include "tls/validation_calls.hpp"
#include "unit/tls/tls_fixtures.hpp"
#include "unit/tls/validation_fixtures.hpp"

namespace krtool::test {
namespace {

using Clock = std::chrono::steady_clock;

// A callback that sleeps (rather than spins, so that the abandoned call costs no CPU) for `millis`.
std::string sleeping_code(const std::string& millis) {
  return "#include <krtool/validation.hpp>\n#include <thread>\n"
         "bool validate(const krtool::Certificate*, const krtool::Chain&, krtool::SslPolicyErrors) {\n"
         "  for (int i = 0; i < " +
         millis +
         "; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));\n"
         "  return true;\n}\n";
}

TestServer server_with(const tls::LoadedPolicy& loaded, std::chrono::milliseconds deadline, LogLines& log) {
  tls::ServerTlsOptions options = server_options(tls::ClientCertMode::Require);
  options.policy = loaded.policy;
  options.validation_deadline = deadline;
  options.log = log.sink();
  return TestServer(std::move(options));
}

// wait_until polls `done` for at most `limit`.
template <typename Done>
bool wait_until(Done done, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (!done() && Clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

}  // namespace

TEST_CASE("validation code that does not return rejects the handshake at the deadline, with the reason",
          "[tls][validation][deadline]") {
  const CodeLab lab;
  // 4 s against a deadline of 0.2 s: as good as never for the handshake, and over before the test run is
  // (the end-to-end test meets a real endless loop).
  const tls::LoadedPolicy loaded = lab.file(lab.write("slow.cpp", sleeping_code("4000")));
  LogLines log;
  const TestServer server = server_with(loaded, std::chrono::milliseconds(200), log);
  const std::size_t before = tls::validation_calls_running();

  for (int attempt = 0; attempt < 2; ++attempt) {  // the second is not queued behind the first
    CAPTURE(attempt);
    const auto start = Clock::now();
    const HandshakeOutcome outcome = server.connect(ClientKind::Valid);
    CHECK(Clock::now() - start < std::chrono::seconds(3));  // 200 ms asked; generous for a loaded machine
    CHECK_FALSE(outcome.completed);
    REQUIRE(outcome.verdict.has_value());
    CHECK_FALSE(outcome.verdict->accepted);
    CHECK(outcome.verdict->decided_by == loaded.policy->name());
  }
  CHECK_THAT(log.all(), Catch::Contains("rejected client certificate 'CN=alice, O=krtool tests'") &&
                            Catch::Contains("(validation code did not return within 0.2 s)"));
  CHECK(tls::validation_calls_running() == before + 2);  // both calls are abandoned, still running
  const std::vector<std::string> running = tls::validation_code_running();
  CHECK(std::find(running.begin(), running.end(), loaded.policy->name()) != running.end());
}

TEST_CASE("an abandoned call that returns later is no longer counted", "[tls][validation][deadline]") {
  const CodeLab lab;
  const tls::LoadedPolicy loaded = lab.file(lab.write("slow.cpp", sleeping_code("400")));
  LogLines log;
  const TestServer server = server_with(loaded, std::chrono::milliseconds(50), log);
  const std::size_t before = tls::validation_calls_running();
  CHECK_FALSE(server.connect(ClientKind::Valid).completed);
  CHECK(tls::validation_calls_running() == before + 1);
  CHECK(wait_until([&] { return tls::validation_calls_running() == before; }, std::chrono::seconds(10)));
}

TEST_CASE("validation code that answers within the deadline decides the handshake as before",
          "[tls][validation][deadline]") {
  const CodeLab lab;
  const tls::LoadedPolicy accept = lab.body("return certificate != nullptr;");
  const tls::LoadedPolicy refuse = lab.body("return false;");
  const tls::LoadedPolicy throws = lab.body("throw std::runtime_error(\"no alice today\");");
  LogLines log;
  CHECK(server_with(accept, std::chrono::seconds(10), log).connect(ClientKind::Valid).completed);
  CHECK_FALSE(server_with(refuse, std::chrono::seconds(10), log).connect(ClientKind::Valid).completed);
  CHECK_FALSE(server_with(throws, std::chrono::seconds(10), log).connect(ClientKind::Valid).completed);
  CHECK_THAT(log.all(), Catch::Contains("(the policy threw: no alice today)"));
  CHECK_THAT(log.all(), !Catch::Contains("did not return"));
}

TEST_CASE("wait_for_validation_calls returns once the calls are done", "[tls][validation][deadline]") {
  REQUIRE(tls::wait_for_validation_calls(std::chrono::seconds(15)));  // earlier tests' abandoned calls
  CHECK(tls::call_with_deadline("slow", std::chrono::milliseconds(10), [] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          return true;
        }) == std::nullopt);
  CHECK(tls::validation_calls_running() == 1);
  CHECK(tls::validation_code_running() == std::vector<std::string>{"slow"});
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
