// Stopping the development server at any moment after bind(): before run() began, while it begins, and
// while it serves. Each server lives on its own thread, so that a stop that is lost fails the test after
// a bounded wait instead of hanging it.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "krtool/server/dev_server.hpp"
#include "support/loopback.hpp"

namespace krtool::test {
namespace {

server::DevServerOptions plain_options() {
  server::DevServerOptions options;
  options.port = 0;
  options.log = [](const std::string&) {};
  return options;
}

// finishes_within runs `body` on a thread that owns `server` and reports whether it returned in time;
// on a timeout the thread is left behind (the test has failed) rather than joined forever.
template <typename Body>
bool finishes_within(std::shared_ptr<server::DevServer> server, std::chrono::seconds limit, Body body) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([server, done, body]() mutable {
    body(*server);
    server.reset();  // so that the caller's reference is the last: its destructor runs there
    done->set_value();
  }).detach();
  return finished.wait_for(limit) == std::future_status::ready;
}

}  // namespace

TEST_CASE("a stop before run makes run return at once, its socket closed", "[server][stop]") {
  auto server = std::make_shared<server::DevServer>(plain_options());
  const int port = server->bind();
  server->stop();
  CHECK(finishes_within(server, std::chrono::seconds(5), [](server::DevServer& s) { s.run(); }));
  CHECK_FALSE(accepts_connections(port));
}

TEST_CASE("a stop right after start ends the server every time, through the library's own stop",
          "[server][stop]") {
  for (int attempt = 0; attempt < 25; ++attempt) {
    CAPTURE(attempt);
    auto server = std::make_shared<server::DevServer>(plain_options());
    server->start();
    const int port = server->port();
    // stop() may come before the server thread runs; the destructor (stop() again, and join) must
    // then end it all the same, the second stop() being harmless.
    REQUIRE(finishes_within(server, std::chrono::seconds(10), [](server::DevServer& s) { s.stop(); }));
    server.reset();
    CHECK_FALSE(accepts_connections(port));  // the library closed its listening socket
  }
}

TEST_CASE("a stop while serving closes the listening socket", "[server][stop]") {
  auto server = std::make_shared<server::DevServer>(plain_options());
  server->start();
  const int port = server->port();
  REQUIRE(answers_http(port));  // served, so the accept loop runs
  REQUIRE(finishes_within(server, std::chrono::seconds(10), [](server::DevServer& s) { s.stop(); }));
  CHECK_FALSE(accepts_connections(port));
}

}  // namespace krtool::test
