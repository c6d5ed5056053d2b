// HTTP/1.1 requests as a server reads them (RFC 9112), strictly, with a limit on every part: the
// connection layer feeds bytes as they arrive and gets one whole request, or the status to answer and
// the connection to close. Framing that two parsers could read two ways (two Content-Lengths,
// Transfer-Encoding with Content-Length, a bad chunk size, bare CR, NUL) is an error, never a guess:
// a proxy in front would read it the other way, and the bytes after it would be a smuggled request.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace krtool::server::http1 {

struct RequestLimits {
  std::size_t max_head_bytes = 64 * 1024;        // request line and headers together → 431
  std::size_t max_header_count = 100;            // → 431
  std::size_t max_target_bytes = 8 * 1024;       // the request target → 414
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // declared or received, chunked too → 413
};

struct Request {
  std::string method;  // as sent ("GET")
  std::string target;  // as sent: "/a%20b?x=1"
  std::string path;    // decoded, without the query: "/a b"
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;                                          // de-chunked
  bool keep_alive = true;         // HTTP/1.1 without "Connection: close", or 1.0 with "keep-alive"
  bool expects_continue = false;  // "Expect: 100-continue"
};

// RequestError is how a request failed: the status to answer (400, 413, 414, 431, 501, 505) and why,
// in words for the log ("two Content-Length headers"). After any error the connection closes.
struct RequestError {
  int status = 400;
  std::string reason;
};

class RequestParser {
 public:
  enum class State {
    Idle,      // nothing of the next request yet (a keep-alive connection between requests)
    Head,      // part of a request line or headers
    Body,      // the head is complete; the body is still arriving
    Complete,  // one whole request: take() it
    Failed,    // error() says why; feed nothing more
  };

  explicit RequestParser(RequestLimits limits = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // feed reads bytes up to the end of one request and returns how many it consumed: bytes after a
  // complete request (pipelining) are left for the caller to feed again after take().
  std::size_t feed(std::string_view bytes);
  State state() const;
  // head() is the request line and headers once state() is Body or Complete (body still empty), for
  // "Expect: 100-continue" and for a 413 decided on the declared length.
  const Request& head() const;
  // take returns the complete request and makes the parser ready for the next one (Idle).
  Request take();
  const RequestError& error() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Response is what the connection layer writes; serialize_response adds Content-Length (or none for
// 1xx, 204 and 304), "Connection: close" when `keep_alive` is false, a Date (unless the handler gave
// one), and leaves out the body of an answer to HEAD. It drops a header whose name is not a token or
// whose value holds CR, LF or another control character, and the handler's own Content-Length,
// Transfer-Encoding and Connection: the framing is the writer's.
struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included when there is one
  std::string body;
};
std::string serialize_response(const Response& response, bool keep_alive, bool head_request);

// reason_phrase is "OK", "Not Found", ... ("Unknown" for a code without one).
std::string_view reason_phrase(int status);

}  // namespace krtool::server::http1
