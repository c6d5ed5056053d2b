// Stopping the development server at any moment after bind(): before run() began, while it begins, and
// while it serves. Each server lives on its own thread, so that a stop that is lost fails the test after
// a bounded wait instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "krtool/server/dev_server.hpp"

namespace krtool::test {
namespace {

server::DevServerOptions plain_options() {
  server::DevServerOptions options;
  options.port = 0;
  options.log = [](const std::string&) {};
  return options;
}

// connect_to returns a connected socket to 127.0.0.1:port, or -1.
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  ::close(fd);
  return -1;
}

bool accepts_connections(int port) {
  const int fd = connect_to(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// answers_http sends one request and reports whether an HTTP answer came: the accept loop runs.
bool answers_http(int port) {
  const int fd = connect_to(port);
  if (fd < 0) return false;
  const timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  static constexpr char kRequest[] = "GET / HTTP/1.0\r\n\r\n";
  const bool sent = ::send(fd, kRequest, sizeof kRequest - 1, MSG_NOSIGNAL) == sizeof kRequest - 1;
  char answer[8] = {};
  const bool answered = sent && ::recv(fd, answer, sizeof answer, MSG_WAITALL) == sizeof answer;
  ::close(fd);
  return answered && std::string(answer, 5) == "HTTP/";
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
