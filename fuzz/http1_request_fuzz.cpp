// serve's HTTP/1.1 request parser: whatever a client sends, fed as the connection layer feeds it.
// Properties, each a finding when broken: the bytes split at any place give the same requests and the
// same error as the bytes at once; feed() never consumes more than it is given, and consumes all of it
// unless a request is complete or the parser has failed; every limit holds; an error is one of the
// documented statuses with a reason; FrameScanner and http_parser never end a request at different
// bytes ("framing read two ways"); a response built from what was parsed has no line break of its own.
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "server/http1_request.hpp"

namespace {

using krtool::server::http1::Request;
using krtool::server::http1::RequestError;
using krtool::server::http1::RequestLimits;
using krtool::server::http1::RequestParser;
using State = RequestParser::State;

void require(bool condition) {
  if (!condition) std::abort();
}

struct Parsed {
  std::vector<Request> requests;
  std::optional<RequestError> error;
};

Parsed parse(std::string_view input, std::size_t piece, const RequestLimits& limits) {
  RequestParser parser(limits);
  Parsed parsed;
  std::string buffer;
  std::size_t next = 0;
  for (std::size_t rounds = 0; rounds < 4 * input.size() + 8; ++rounds) {
    const std::size_t used = parser.feed(buffer);
    require(used <= buffer.size());
    buffer.erase(0, used);
    const State state = parser.state();
    if (state == State::Complete) {
      parsed.requests.push_back(parser.take());
      require(parser.state() == State::Idle);
      continue;
    }
    if (state == State::Failed) {
      parsed.error = parser.error();
      require(parser.feed("GET / HTTP/1.1\r\n") == 0);
      break;
    }
    require(buffer.empty());
    if (next >= input.size()) break;
    buffer.append(input.substr(next, piece));
    next += piece;
  }
  return parsed;
}

bool same(const Request& a, const Request& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path &&
         a.version_minor == b.version_minor && a.headers == b.headers && a.body == b.body &&
         a.keep_alive == b.keep_alive && a.expects_continue == b.expects_continue;
}

void check(const Parsed& parsed, const RequestLimits& limits) {
  for (const Request& request : parsed.requests) {
    require(!request.method.empty() && !request.path.empty());
    require(request.target.size() <= limits.max_target_bytes);
    require(request.headers.size() <= limits.max_header_count);
    require(request.body.size() <= limits.max_body_bytes);
    krtool::server::http1::Response response;
    response.headers = request.headers;
    response.headers.emplace_back("Location", request.path);  // a decoded path, as a redirect would use it
    response.body = request.body;
    const std::string text = krtool::server::http1::serialize_response(response, request.keep_alive, false);
    const std::string_view head = std::string_view(text).substr(0, text.find("\r\n\r\n"));
    for (std::size_t i = 0; i < head.size(); ++i) {
      if (head[i] == '\n') require(i > 0 && head[i - 1] == '\r');
      if (head[i] == '\r') require(i + 1 < head.size() && head[i + 1] == '\n');
      require(head[i] != '\0');
    }
  }
  if (parsed.error) {
    const int status = parsed.error->status;
    require(status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
            status == 505);
    require(!parsed.error->reason.empty());
    require(parsed.error->reason != "framing read two ways");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses small limits (bit 7), so that each is reached, and the size of the pieces.
  RequestLimits limits;
  if ((data[0] & 0x80) != 0) {
    limits.max_head_bytes = 256;
    limits.max_header_count = 4;
    limits.max_target_bytes = 32;
    limits.max_body_bytes = 64;
  }
  const std::size_t piece = (data[0] & 0x7f) + 1;
  const std::string_view input = krtool::fuzz::text_of(data + 1, size - 1);

  const Parsed at_once = parse(input, input.size() + 1, limits);
  const Parsed in_pieces = parse(input, piece, limits);
  const Parsed byte_by_byte = parse(input, 1, limits);
  check(at_once, limits);
  for (const Parsed* other : {&in_pieces, &byte_by_byte}) {
    require(other->requests.size() == at_once.requests.size());
    for (std::size_t i = 0; i < at_once.requests.size(); ++i)
      require(same(other->requests[i], at_once.requests[i]));
    require(other->error.has_value() == at_once.error.has_value());
    if (at_once.error) {
      require(other->error->status == at_once.error->status);
      require(other->error->reason == at_once.error->reason);
    }
  }
  return 0;
}
