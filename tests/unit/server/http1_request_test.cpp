// HTTP/1.1 requests as krtool's connection layer reads them (RFC 9112): whole requests, one at a time,
// or the status to answer and why; and the responses it writes.
#include "server/http1_request.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

namespace krtool::test {
namespace {

using server::http1::Request;
using server::http1::RequestError;
using server::http1::RequestLimits;
using server::http1::RequestParser;
using server::http1::Response;
using State = RequestParser::State;

struct Parsed {
  std::vector<Request> requests;
  std::optional<RequestError> error;
  State state = State::Idle;
};

// parse_all does what the connection layer does: it keeps the bytes feed() left, takes each complete
// request, and gives the input `piece` bytes at a time.
Parsed parse_all(std::string_view input, std::size_t piece = std::string_view::npos,
                 RequestLimits limits = {}) {
  RequestParser parser(limits);
  Parsed parsed;
  std::string buffer;
  std::size_t next = 0;
  for (std::size_t rounds = 0; rounds < 4 * input.size() + 8; ++rounds) {
    const std::size_t used = parser.feed(buffer);
    REQUIRE(used <= buffer.size());
    buffer.erase(0, used);
    if (parser.state() == State::Complete) {
      parsed.requests.push_back(parser.take());
      REQUIRE(parser.state() == State::Idle);
      continue;
    }
    if (parser.state() == State::Failed) {
      parsed.error = parser.error();
      break;
    }
    REQUIRE(buffer.empty());  // a parser still reading keeps nothing for later
    if (next >= input.size()) break;
    buffer.append(input.substr(next, piece));
    next = piece == std::string_view::npos ? input.size() : next + piece;
  }
  parsed.state = parser.state();
  return parsed;
}

Request parse_one(std::string_view input) {
  Parsed parsed = parse_all(input);
  INFO(input);
  INFO((parsed.error ? parsed.error->reason : std::string("no error")));
  REQUIRE(parsed.requests.size() == 1);
  return parsed.requests.front();
}

RequestError parse_error(std::string_view input, RequestLimits limits = {}) {
  Parsed parsed = parse_all(input, std::string_view::npos, limits);
  INFO(input);
  REQUIRE(parsed.error.has_value());
  // The same error when the bytes arrive one by one: where a read ends changes nothing.
  Parsed byte_by_byte = parse_all(input, 1, limits);
  REQUIRE(byte_by_byte.error.has_value());
  CHECK(byte_by_byte.error->status == parsed.error->status);
  CHECK(byte_by_byte.error->reason == parsed.error->reason);
  return *parsed.error;
}

std::string header(const Request& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (field == name) return value;
  }
  return "(none)";
}

TEST_CASE("a GET is read whole: method, target, decoded path, version, headers in order", "[http1]") {
  const Request request =
      parse_one("GET /a%20b?x=1 HTTP/1.1\r\nHost: localhost:8443\r\nX-Empty:\r\nAccept:  */*  \r\n\r\n");
  CHECK(request.method == "GET");
  CHECK(request.target == "/a%20b?x=1");
  CHECK(request.path == "/a b");
  CHECK(request.version_minor == 1);
  REQUIRE(request.headers.size() == 3);
  CHECK(request.headers[0] == std::pair<std::string, std::string>("Host", "localhost:8443"));
  CHECK(request.headers[1] ==
        std::pair<std::string, std::string>("X-Empty", ""));  // not merged with the next
  CHECK(request.headers[2] == std::pair<std::string, std::string>("Accept", "*/*"));  // OWS trimmed
  CHECK(request.body.empty());
  CHECK(request.keep_alive);
  CHECK_FALSE(request.expects_continue);
}

TEST_CASE("the states: Idle before a byte of a request, Head, Body, Complete, Idle after take", "[http1]") {
  RequestParser parser;
  CHECK(parser.state() == State::Idle);
  CHECK(parser.feed("\r\n") == 2);  // an empty line before a request is ignored (RFC 9112 §2.2)
  CHECK(parser.state() == State::Idle);
  CHECK(parser.feed("PO") == 2);
  CHECK(parser.state() == State::Head);
  const std::string head = "ST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n";
  CHECK(parser.feed(head) == head.size());
  CHECK(parser.state() == State::Body);
  CHECK(parser.head().expects_continue);
  CHECK(parser.head().path == "/up");
  CHECK(parser.head().body.empty());
  CHECK(parser.feed("hel") == 3);
  CHECK(parser.state() == State::Body);
  CHECK(parser.head().body.empty());  // the body is given by take(), whole
  CHECK(parser.feed("loGET") == 2);   // the next request's bytes stay unread
  CHECK(parser.state() == State::Complete);
  CHECK(parser.feed("GET") == 0);  // nothing more until take()
  const Request request = parser.take();
  CHECK(request.method == "POST");
  CHECK(request.body == "hello");
  CHECK(parser.state() == State::Idle);
}

TEST_CASE("three pipelined requests in one feed come out one by one, bytes intact", "[http1]") {
  const std::string first = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n\r\nGET /x";
  const std::string third =
      "PUT /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  const std::string all = first + second + third;

  RequestParser parser;
  std::string_view rest = all;
  CHECK(parser.feed(rest) == first.size());
  CHECK(parser.take().path == "/one");
  rest.remove_prefix(first.size());
  CHECK(parser.feed(rest) == second.size());
  const Request two = parser.take();
  CHECK(two.body == "\r\nGET /x");  // a body that looks like a request is a body
  rest.remove_prefix(second.size());
  CHECK(parser.feed(rest) == third.size());
  CHECK(parser.take().body == "abc");
  CHECK(parser.state() == State::Idle);
}

TEST_CASE("requests fed one byte at a time are the same as fed at once", "[http1]") {
  const std::string all =
      "GET /one?q=%41 HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(300, 'v') +
      "\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
      "PATCH /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=\"quoted \\\" value\"\r\nhello\r\n1 ; a=b\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n";
  const Parsed at_once = parse_all(all);
  const Parsed one_by_one = parse_all(all, 1);
  REQUIRE(at_once.requests.size() == 3);
  REQUIRE(one_by_one.requests.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(one_by_one.requests[i].method == at_once.requests[i].method);
    CHECK(one_by_one.requests[i].target == at_once.requests[i].target);
    CHECK(one_by_one.requests[i].path == at_once.requests[i].path);
    CHECK(one_by_one.requests[i].headers == at_once.requests[i].headers);
    CHECK(one_by_one.requests[i].body == at_once.requests[i].body);
  }
  CHECK(at_once.requests[0].path == "/one");
  CHECK(header(at_once.requests[0], "X-Long") == std::string(300, 'v'));
  CHECK(at_once.requests[1].body == "hello world");
  CHECK(at_once.requests[2].body == "hello!");
}

TEST_CASE("an Upgrade request is an ordinary request: krtool upgrades to nothing", "[http1]") {
  const Parsed parsed = parse_all(
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "POST /p HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nok"
      "GET /next HTTP/1.1\r\nHost: h\r\n\r\n",
      1);
  REQUIRE(parsed.requests.size() == 3);
  CHECK(parsed.requests[1].body == "ok");
  CHECK(parsed.requests[2].path == "/next");
}

TEST_CASE("a chunked body is de-chunked; its trailers are read but not made headers", "[http1]") {
  const Request request = parse_one(
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "A\r\n0123456789\r\n000;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n");
  CHECK(request.body == "0123456789");
  CHECK(header(request, "X-Checksum") == "(none)");
  CHECK(header(request, "Transfer-Encoding") == "Chunked");
}

TEST_CASE("a POST, PUT, PATCH or DELETE without a length is complete with its head (RFC 9112 §6.3)",
          "[http1]") {
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    RequestParser parser;
    const std::string head = method + " /admin HTTP/1.1\r\nHost: h\r\n\r\n";
    CHECK(parser.feed(head) == head.size());
    REQUIRE(parser.state() == State::Complete);
    const Request request = parser.take();
    CHECK(request.method == method);
    CHECK(request.body.empty());
  }
}

TEST_CASE("targets: absolute-form gives its path, * is for OPTIONS, anything else is 400", "[http1]") {
  CHECK(parse_one("GET http://example.com:8443/a/b%2Fc?x HTTP/1.1\r\nHost: example.com\r\n\r\n").path ==
        "/a/b/c");
  CHECK(parse_one("GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").path == "/");
  CHECK(parse_one("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path == "*");
  CHECK(parse_error("GET * HTTP/1.1\r\nHost: h\r\n\r\n").status == 400);
  CHECK(parse_error("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n").status == 400);
  CHECK(parse_error("GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n").status == 400);
  CHECK(parse_error("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n").status == 400);
  CHECK(parse_error("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n").reason == "%00 in the path");
  CHECK(parse_error("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n").reason == "a malformed %-escape in the path");
  CHECK(parse_error("GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n").reason == "a malformed %-escape in the path");
  CHECK(parse_error("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n").reason ==
        "a control character in the request target");
}

TEST_CASE("each limit has its status: 431 head and count, 414 target, 413 body", "[http1]") {
  RequestLimits limits;
  limits.max_head_bytes = 200;
  limits.max_header_count = 3;
  limits.max_target_bytes = 20;
  limits.max_body_bytes = 10;

  const std::string ok_head = "GET /" + std::string(19, 'a') + " HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
  CHECK(parse_all(ok_head, std::string_view::npos, limits).requests.size() == 1);

  CHECK(parse_error("GET /" + std::string(20, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", limits).status == 414);
  CHECK(parse_error("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).status == 431);
  const RequestError big =
      parse_error("GET / HTTP/1.1\r\nHost: h\r\nA: " + std::string(200, 'x') + "\r\n\r\n", limits);
  CHECK(big.status == 431);
  CHECK(big.reason == "request head over the limit of 200 bytes");

  // 413 on the declared length, before any byte of the body.
  RequestParser declared(limits);
  declared.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n");
  REQUIRE(declared.state() == State::Failed);
  CHECK(declared.error().status == 413);
  CHECK(parse_all("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789",
                  std::string_view::npos, limits)
            .requests.size() == 1);

  // 413 for a chunked body as soon as its chunks pass the limit, before the data of the chunk that does.
  RequestParser chunked(limits);
  chunked.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n");
  CHECK(chunked.state() == State::Body);
  chunked.feed("3\r\n");
  REQUIRE(chunked.state() == State::Failed);
  CHECK(chunked.error().status == 413);
  CHECK(
      parse_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
                  limits)
          .status == 413);

  // Trailers have the head's limits too.
  CHECK(parse_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: "
                    "3\r\nD: 4\r\n\r\n",
                    limits)
            .status == 431);
}

TEST_CASE("a head over http_parser's own compile-time limit is 431 too", "[http1]") {
  RequestLimits limits;
  limits.max_head_bytes = 1024 * 1024;
  const RequestError error =
      parse_error("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(100 * 1024, 'b') + "\r\n\r\n", limits);
  CHECK(error.status == 431);
}

TEST_CASE("framing two parsers could read two ways is 400, with a reason that names it", "[http1]") {
  struct Case {
    std::string request;
    int status;
    std::string reason;
  };
  const std::string get = "GET / HTTP/1.1\r\nHost: h\r\n";
  const std::string post = "POST / HTTP/1.1\r\nHost: h\r\n";
  const std::string chunked = post + "Transfer-Encoding: chunked\r\n\r\n";
  const std::vector<Case> cases = {
      {post + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400, "two Content-Length headers"},
      {post + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, "two Content-Length headers"},
      {post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400,
       "Transfer-Encoding together with Content-Length"},
      {post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "Transfer-Encoding together with Content-Length"},
      {post + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "final transfer coding is not chunked"},
      {post + "Transfer-Encoding: gzip\r\n\r\n", 400, "final transfer coding is not chunked"},
      {post + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "transfer coding gzip is not supported"},
      {post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "chunked applied twice"},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "Transfer-Encoding in an HTTP/1.0 request"},
      {post + "Content-Length: -1\r\n\r\n", 400, "invalid Content-Length"},
      {post + "Content-Length: 1x\r\n\r\n", 400, "invalid Content-Length"},
      {post + "Content-Length:\r\n\r\n", 400, "invalid Content-Length"},
      {chunked + "g\r\n", 400, "bad chunk size"},
      {chunked + "-1\r\n", 400, "bad chunk size"},
      {chunked + "5 garbage\r\nhello\r\n0\r\n\r\n", 400, "bad chunk extension"},
      {chunked + "5;a=\x01\r\nhello\r\n0\r\n\r\n", 400, "bad chunk extension"},
      {chunked + "5;a\nhello\r\n0\r\n\r\n", 400, "bad chunk extension"},
      {chunked + "5\r\nhelloXX0\r\n\r\n", 400, "no CRLF after chunk data"},
      {chunked + "5\rXhello\r\n0\r\n\r\n", 400, "CR without LF"},
      {chunked + "5;" + std::string(5000, 'a') + "\r\n", 400, "chunk line over 4096 bytes"},
      {get + "X-A: a\rX-B: b\r\n\r\n", 400, "CR without LF"},
      {get + "X-A: a\nX-B: b\r\n\r\n", 400, "a line ended by LF without CR"},
      {"GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "a line ended by LF without CR"},
      {get + "X-A: a" + std::string(1, '\0') + "b\r\n\r\n", 400, "NUL in a header value"},
      {get + "X-A: a\x01"
             "b\r\n\r\n",
       400, "a control character in a header value"},
      {get + "X-A: a\x7f"
             "b\r\n\r\n",
       400, "a control character in a header value"},
      {get + "X-A : a\r\n\r\n", 400, "whitespace between a header name and the colon"},
      {get + "X-A\t: a\r\n\r\n", 400, "whitespace between a header name and the colon"},
      {get + "X-A: a\r\n b\r\n\r\n", 400, "obs-fold: a header line starts with whitespace"},
      {get + "X-A: a\r\n\tb\r\n\r\n", 400, "obs-fold: a header line starts with whitespace"},
      {get + ": a\r\n\r\n", 400, "an empty header name"},
      {get + "X(A): a\r\n\r\n", 400, "an invalid character in a header name"},
      {get + "X-A\r\n\r\n", 400, "a header line without a colon"},
      {"GET / HTTP/1.1\r\n\r\n", 400, "no Host header in an HTTP/1.1 request"},
      {get + "Host: other\r\n\r\n", 400, "more than one Host header"},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host header"},
      {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "HTTP/2.0 is not supported"},
      {"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505, "HTTP/0.9 is not supported"},
      {"GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, "malformed HTTP version"},
      {"GET / HTXP/1.1\r\nHost: h\r\n\r\n", 400, "malformed HTTP version"},
      {"GET /\r\n\r\n", 400, "no HTTP version in the request line"},
      {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed request line"},
      {"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "malformed HTTP version"},
      {"NOT A REQUEST\r\nHost: localhost\r\n\r\n", 501, "unknown method"},
      {" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed request line"},
      // 501, not 400: a well-formed method that krtool does not implement (RFC 9110 §9.1).
      {"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501, "unknown method"},
      {"get / HTTP/1.1\r\nHost: h\r\n\r\n", 501, "unknown method"},
      {"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501, "CONNECT is not supported"},
  };
  for (const Case& c : cases) {
    INFO(c.request);
    const RequestError error = parse_error(c.request);
    CHECK(error.status == c.status);
    CHECK(error.reason == c.reason);
  }
}

TEST_CASE("versions: HTTP/1.0 and 1.1, a later 1.x read as 1.1", "[http1]") {
  CHECK(parse_one("GET / HTTP/1.0\r\n\r\n").version_minor == 0);  // no Host needed in 1.0
  const Request later = parse_one("GET / HTTP/1.2\r\nHost: h\r\n\r\n");
  CHECK(later.version_minor == 1);
  CHECK(later.keep_alive);
}

TEST_CASE("keep-alive follows RFC 9112 §9.3", "[http1]") {
  CHECK(parse_one("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keep_alive);
  CHECK_FALSE(parse_one("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
  CHECK_FALSE(parse_one("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n").keep_alive);
  CHECK_FALSE(parse_one("GET / HTTP/1.0\r\n\r\n").keep_alive);
  CHECK(parse_one("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  CHECK_FALSE(parse_one("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

TEST_CASE("Expect: 100-continue is seen in any case, and only from HTTP/1.1", "[http1]") {
  CHECK(parse_one("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-CONTINUE\r\n\r\n").expects_continue);
  CHECK_FALSE(parse_one("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expects_continue);
  CHECK_FALSE(parse_one("GET / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n").expects_continue);
}

TEST_CASE("after an error the parser takes nothing more", "[http1]") {
  RequestParser parser;
  parser.feed("GET / HTTP/1.1\r\nX-A : b\r\n");
  REQUIRE(parser.state() == State::Failed);
  CHECK(parser.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
  CHECK(parser.state() == State::Failed);
}

TEST_CASE("a response has its status line, headers, Date, Content-Length and body", "[http1]") {
  Response response;
  response.status = 201;
  response.headers = {{"Content-Type", "text/plain"}, {"X-One", "1"}};
  response.body = "hello";
  const std::string text = server::http1::serialize_response(response, true, false);
  CHECK(text.rfind("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-One: 1\r\nDate: ", 0) == 0);
  CHECK(text.size() >= 5);
  CHECK(text.find("\r\nContent-Length: 5\r\n\r\nhello") != std::string::npos);
  CHECK(text.find("Connection") == std::string::npos);
  CHECK(text.substr(text.size() - 9) == "\r\n\r\nhello");
}

TEST_CASE("a response that closes the connection says so", "[http1]") {
  Response response;
  response.status = 400;
  const std::string text = server::http1::serialize_response(response, false, false);
  CHECK(text.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(text.find("Content-Length: 0\r\nConnection: close\r\n\r\n") != std::string::npos);
}

TEST_CASE("an answer to HEAD has GET's Content-Length and no body", "[http1]") {
  Response response;
  response.body = "0123456789";
  const std::string text = server::http1::serialize_response(response, true, true);
  CHECK(text.find("Content-Length: 10\r\n") != std::string::npos);
  CHECK(text.substr(text.size() - 4) == "\r\n\r\n");

  Response without_body;  // a handler that answered HEAD with the length alone
  without_body.headers = {{"Content-Length", "1234"}};
  const std::string head = server::http1::serialize_response(without_body, true, true);
  CHECK(head.find("Content-Length: 1234\r\n") != std::string::npos);
  CHECK(head.find("Content-Length: 0") == std::string::npos);
}

TEST_CASE("1xx, 204 and 304 have no Content-Length and no body", "[http1]") {
  for (int status : {100, 204, 304}) {
    Response response;
    response.status = status;
    response.body = "ignored";
    const std::string text = server::http1::serialize_response(response, true, false);
    CHECK(text.find("Content-Length") == std::string::npos);
    CHECK(text.substr(text.size() - 4) == "\r\n\r\n");
  }
}

TEST_CASE("a header from a handler with CR or LF in it is dropped, never split", "[http1]") {
  Response response;
  response.headers = {
      {"Location", "/a\r\nSet-Cookie: evil=1"}, {"X-Lf", "a\nb"}, {"Bad Name", "x"}, {"Content-Length", "99"},
      {"Transfer-Encoding", "chunked"},         {"X-Kept", "yes"}};
  response.body = "ok";
  const std::string text = server::http1::serialize_response(response, true, false);
  CHECK(text.find("evil") == std::string::npos);
  CHECK(text.find("Location") == std::string::npos);
  CHECK(text.find("X-Lf") == std::string::npos);
  CHECK(text.find("Bad Name") == std::string::npos);
  CHECK(text.find("99") == std::string::npos);
  CHECK(text.find("chunked") == std::string::npos);
  CHECK(text.find("X-Kept: yes\r\n") != std::string::npos);
  CHECK(text.find("Content-Length: 2\r\n") != std::string::npos);
}

TEST_CASE("reason phrases", "[http1]") {
  CHECK(server::http1::reason_phrase(200) == "OK");
  CHECK(server::http1::reason_phrase(413) == "Content Too Large");
  CHECK(server::http1::reason_phrase(431) == "Request Header Fields Too Large");
  CHECK(server::http1::reason_phrase(599) == "Unknown");
}

}  // namespace
}  // namespace krtool::test
