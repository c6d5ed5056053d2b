// The plain-HTTP client behind the proxy: route and the online CRL fetch (http/fetch.hpp), against a
// real server on 127.0.0.1 that answers as each test scripts it.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>

#include "http/fetch.hpp"
#include "http_fixtures.hpp"
#include "krtool/error.hpp"

namespace krtool::http {
namespace {

using test::LoopbackServer;
using test::send_text;
using Failure = ForwardResult::Failure;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

ForwardRequest get(std::string target) {
  ForwardRequest request;
  request.method = "GET";
  request.target = std::move(target);
  return request;
}

// answer_with is a script that writes `answer` and closes.
LoopbackServer::Script answer_with(std::string answer) {
  return [answer = std::move(answer)](int fd) { send_text(fd, answer); };
}

// stream_body writes a head and then body bytes until the client goes or `limit` bytes are out.
LoopbackServer::Script stream_body(std::string head, std::size_t limit) {
  return [head = std::move(head), limit](int fd) {
    if (!send_text(fd, head)) return;
    const std::string block(64 * 1024, 'x');
    for (std::size_t sent = 0; sent < limit && send_text(fd, block); sent += block.size()) {
    }
  };
}

// test_clock is the steady clock of the deadline test: it moves only when the test moves it.
namespace test_clock {
std::atomic<Clock::rep> ticks{0};
Clock::time_point now() { return Clock::time_point(Clock::duration(ticks.load())); }
void advance(std::chrono::milliseconds by) {
  ticks += std::chrono::duration_cast<Clock::duration>(by).count();
}
}  // namespace test_clock

std::string gzip(const std::string& text) { return test::zlib_encode(text, 15 + 16); }

int closed_port() {
  int port = 0;
  {
    const LoopbackServer bound([](int) {});
    port = bound.port();
  }
  return port;
}

}  // namespace

TEST_CASE(
    "forward sends one HTTP/1.1 request with the upstream's Host, the body's length and "
    "Connection: close",
    "[http][client]") {
  const LoopbackServer server(answer_with(
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
      "Content-Length: 11\r\n\r\n{\"ok\":true}"));
  ForwardRequest request;
  request.method = "POST";
  request.target = "/app/items?q=1";
  request.headers = {{"X-Forwarded-For", "10.0.0.1"}};
  request.body = "a=b";
  request.content_type = "application/x-www-form-urlencoded";
  const ForwardResult result = forward("127.0.0.1", server.port(), request, 5s);

  REQUIRE(result.failure == Failure::None);
  CHECK(result.status == 201);
  CHECK(result.body == "{\"ok\":true}");
  CHECK(result.headers == HeaderList{{"Content-Type", "application/json"},
                                     {"Set-Cookie", "a=1"},
                                     {"Set-Cookie", "b=2"},
                                     {"Content-Length", "11"}});
  CHECK(server.request() ==
        "POST /app/items?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
            "\r\nX-Forwarded-For: 10.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n"
            "Connection: close\r\n\r\na=b");
}

TEST_CASE("fetch reads a chunked answer whole", "[http][client]") {
  // The first chunk is larger than one of the client's reads (16 KiB): the answer takes several reads,
  // whatever the loopback interface does with the segments.
  const std::string first(20'000, 'h');
  const LoopbackServer server([&first](int fd) {
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4e20\r\n" + first + "\r\n" +
                      "1;ext=1\r\n,\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  });
  const FetchResult result = fetch(server.origin() + "/root.crl", 5s);
  CHECK(result.status == 200);
  CHECK(result.body == first + ", world");
  CHECK(server.request().starts_with("GET /root.crl HTTP/1.1\r\nHost: 127.0.0.1:"));
}

TEST_CASE("fetch reads a Content-Length answer and returns the body of any status", "[http][client]") {
  const LoopbackServer server(answer_with("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here!"));
  const FetchResult result = fetch(server.origin() + "/missing.crl", 5s);
  CHECK(result.status == 404);
  CHECK(result.body == "not here!");
}

TEST_CASE("a close-delimited answer ends where the upstream closes", "[http][client]") {
  // More than one of the client's 16 KiB reads: the end of the body is the close, not the end of a read.
  const std::string first = "first part, " + std::string(20'000, 'f');
  const LoopbackServer server([&first](int fd) {
    send_text(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + first);
    send_text(fd, "second part");
  });
  const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
  REQUIRE(result.failure == Failure::None);
  CHECK(result.status == 200);
  CHECK(result.body == first + "second part");
}

TEST_CASE("fetch finds a server by name (localhost)", "[http][client]") {
  const LoopbackServer server(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  // localhost may resolve to ::1 first, where nothing listens: the next address is tried.
  const FetchResult result = fetch("http://localhost:" + std::to_string(server.port()) + "/x.crl", 5s);
  CHECK(result.body == "ok");
  CHECK(server.request().find("\r\nHost: localhost:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
}

TEST_CASE("an interim 103 is skipped and the final answer returned", "[http][client]") {
  const LoopbackServer server(
      answer_with("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"));
  const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
  REQUIRE(result.failure == Failure::None);
  CHECK(result.status == 200);
  CHECK(result.body == "final");
  CHECK(result.headers == HeaderList{{"Content-Length", "5"}});
}

TEST_CASE("a HEAD answer has no body whatever its Content-Length says", "[http][client]") {
  const LoopbackServer server(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"));
  ForwardRequest request = get("/");
  request.method = "HEAD";
  const ForwardResult result = forward("127.0.0.1", server.port(), request, 5s);
  REQUIRE(result.failure == Failure::None);
  CHECK(result.body.empty());
  CHECK(server.request().find("Content-Length") == std::string::npos);
}

TEST_CASE("a body over kMaxFetchBytes is TooLarge, and the reading stops there", "[http][client]") {
  SECTION("streamed without a length") {
    const LoopbackServer server(stream_body("HTTP/1.1 200 OK\r\n\r\n", 4 * kMaxFetchBytes));
    const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 20s);
    CHECK(result.failure == Failure::TooLarge);
    CHECK(result.error == "the response is larger than 16777216 bytes");
    CHECK(result.body.empty());
  }
  SECTION("chunked") {
    const LoopbackServer server(
        stream_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4000000\r\n", 4 * kMaxFetchBytes));
    CHECK(forward("127.0.0.1", server.port(), get("/"), 20s).failure == Failure::TooLarge);
  }
  SECTION("declared: refused before the body") {
    const LoopbackServer server(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 16777217\r\n\r\nxyz"));
    CHECK(forward("127.0.0.1", server.port(), get("/"), 20s).failure == Failure::TooLarge);
  }
  SECTION("fetch: Error(Network) naming the URL") {
    const LoopbackServer server(stream_body("HTTP/1.1 200 OK\r\n\r\n", 4 * kMaxFetchBytes));
    const std::string url = server.origin() + "/huge.crl";
    try {
      fetch(url, 20s);
      FAIL("fetch returned");
    } catch (const Error& error) {
      CHECK(error.code() == Errc::Network);
      CHECK(std::string(error.what()) ==
            "fetching '" + url + "' failed: the response is larger than 16777216 bytes");
    }
  }
}

TEST_CASE("a gzip answer is decoded, and one that inflates past kMaxFetchBytes is TooLarge",
          "[http][client]") {
  SECTION("decoded") {
    const std::string body = gzip("plain text, once");
    const LoopbackServer server(answer_with("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n\r\n" + body));
    const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
    REQUIRE(result.failure == Failure::None);
    CHECK(result.body == "plain text, once");
  }
  SECTION("a bomb") {
    const std::string body = gzip(std::string(kMaxFetchBytes + 1, '\0'));
    REQUIRE(body.size() < 64 * 1024);
    const LoopbackServer server(answer_with("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n\r\n" + body));
    const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
    CHECK(result.failure == Failure::TooLarge);
    CHECK(result.error == "the decoded response is larger than 16777216 bytes");
  }
  SECTION("a coding krtool does not decode") {
    const LoopbackServer server(
        answer_with("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x0b\x01\x80\x03"));
    const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
    CHECK(result.failure == Failure::Unreachable);
    CHECK(result.error ==
          "the answer is encoded as 'br', which krtool does not decode (only gzip and deflate)");
  }
}

TEST_CASE("an upstream that answers a byte at a time is TimedOut within the whole exchange's bound",
          "[http][client]") {
  // Each byte comes 20 ms after the last by the test's clock, well within any per-read timeout; only a
  // deadline for the whole exchange ends it. A client without one would read on to http-parser's 80 KiB
  // limit on the head and say the answer is not valid HTTP.
  const LoopbackServer server([](int fd) {
    const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: " + std::string(100 * 1024, 'a');
    for (const char c : head) {
      test_clock::advance(20ms);
      if (!send_text(fd, std::string_view(&c, 1))) return;  // the client went
    }
  });
  const auto started = test_clock::now();
  const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 300ms, &test_clock::now);
  CHECK(result.failure == Failure::TimedOut);
  CHECK_THAT(result.error, Catch::Contains("timed out") && Catch::EndsWith("(the exchange may take 300 ms)"));
  CHECK(test_clock::now() - started >= 300ms);
}

TEST_CASE("a port nobody listens on is Unreachable, and fetch's Error(Network) says it could not connect",
          "[http][client]") {
  const int port = closed_port();
  const ForwardResult result = forward("127.0.0.1", port, get("/"), 5s);
  CHECK(result.failure == Failure::Unreachable);
  CHECK(result.error == "could not connect");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/root.crl";
  try {
    fetch(url, 5s);
    FAIL("fetch returned");
  } catch (const Error& error) {
    CHECK(error.code() == Errc::Network);
    CHECK(std::string(error.what()) == "fetching '" + url + "' failed: could not connect");
  }
}

TEST_CASE("an upstream that closes without answering is Unreachable, not TimedOut", "[http][client]") {
  const LoopbackServer server([](int) {});
  const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
  CHECK(result.failure == Failure::Unreachable);
  CHECK(result.error == "no answer: the server closed the connection without answering");
}

TEST_CASE("a header block without end is refused, long before the deadline", "[http][client]") {
  const LoopbackServer server([](int fd) {
    if (!send_text(fd, "HTTP/1.1 200 OK\r\n")) return;
    const std::string line = "X-Filler: " + std::string(1000, 'f') + "\r\n";
    for (int sent = 0; sent < 100'000 && send_text(fd, line); ++sent) {
    }
  });
  const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 30s);
  CHECK(result.failure == Failure::Unreachable);  // not TimedOut: refused at http-parser's 80 KiB
  CHECK_THAT(result.error, Catch::StartsWith("the response is not valid HTTP"));
}

TEST_CASE("more header fields than the client keeps are refused", "[http][client]") {
  std::string answer = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 300; ++i) answer += "A: b\r\n";
  const LoopbackServer server(answer_with(answer + "Content-Length: 0\r\n\r\n"));
  const ForwardResult result = forward("127.0.0.1", server.port(), get("/"), 5s);
  CHECK(result.failure == Failure::Unreachable);
  CHECK(result.error == "the answer has more than 256 header fields");
}

TEST_CASE("a request part that would end its line early is never sent", "[http][client]") {
  const LoopbackServer server(answer_with("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  ForwardRequest request = get("/");
  request.headers = {{"X-Claim", "yes\r\nX-Client-Cert: forged"}};
  const ForwardResult result = forward("127.0.0.1", server.port(), request, 5s);
  CHECK(result.failure == Failure::Unreachable);
  CHECK(result.error == "not sent: header 'X-Claim' has a character that would end its line");
  request = get("/a b");
  CHECK(forward("127.0.0.1", server.port(), request, 5s).error ==
        "not sent: the target has a character that would end its line");
}

TEST_CASE("fetch refuses a URL it cannot use with Error(Usage)", "[http][client]") {
  for (const std::string url : {"https://127.0.0.1/root.crl", "ftp://127.0.0.1/root.crl", "http:///x"}) {
    CAPTURE(url);
    try {
      fetch(url, 1s);
      FAIL("fetch returned");
    } catch (const Error& error) {
      CHECK(error.code() == Errc::Usage);
      CHECK_THAT(std::string(error.what()), Catch::StartsWith("cannot fetch '" + url + "'"));
    }
  }
}

}  // namespace krtool::http
