// The access log's sink belongs to the embedding program and may fail; the server must not.
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "krtool/server/dev_server.hpp"
#include "support/loopback.hpp"
#include "support/stderr_capture.hpp"

namespace krtool::test {

TEST_CASE("an access-log sink that throws costs its line, not the server", "[server][log]") {
  auto calls = std::make_shared<int>(0);
  server::DevServerOptions options;
  options.port = 0;
  options.log = [calls](const std::string&) {
    ++*calls;
    throw std::runtime_error("the log disk is full");
  };
  StderrCapture stderr_text;
  {
    server::DevServer server(std::move(options));
    server.start();
    CHECK(answers_http(server.port()));
    CHECK(answers_http(server.port()));  // the process survived the first failure
  }  // joined: both requests were logged (the logger runs after the answer is sent)
  CHECK(*calls == 2);
  CHECK_THAT(stderr_text.text(), Catch::Contains("krtool: the access log failed: the log disk is full"));
}

}  // namespace krtool::test
