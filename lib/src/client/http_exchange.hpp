// One HTTP/1.1 request and its response over a Stream. The response is parsed with Node's
// http-parser (Debian's libhttp-parser), which handles Content-Length, chunked and close-delimited
// bodies, rather than by hand.
#pragma once

#include <string>

#include "client/stream.hpp"
#include "http/url.hpp"
#include "krtool/client/test_client.hpp"

namespace krtool::client {

using http::Url;

enum class ExchangeStage {
  Done,        // a whole response arrived
  SendFailed,  // the request could not be sent
  NoResponse,  // the connection ended, failed or timed out before a status line
  Incomplete,  // the response started but did not finish (the report keeps what came)
  Malformed,   // the bytes are not HTTP
  TooLarge,    // the body passed max_body_bytes and BodyLimit::Stop ended the reading there
};

// BodyLimit says what happens to a body longer than max_body_bytes.
enum class BodyLimit {
  Truncate,  // read it to the end and keep the first max_body_bytes (test-client reports what came)
  Stop,      // stop reading at once (a caller that must not wait on an upstream that streams without end)
};

struct ExchangeResult {
  ExchangeStage stage = ExchangeStage::NoResponse;
  std::string failure;  // what went wrong, for every stage but Done
  bool timed_out = false;
};

// build_request is the request test-client sends: curl's defaults (-d implies POST with a
// form-urlencoded body unless -X or -H say otherwise), Connection: close.
std::string build_request(const Url& url, const TestClientOptions& options);

// exchange sends `request` and reads one response (interim 1xx answers skipped) within `deadline`. The
// head is bounded by http-parser's own limit (80 KiB of status line and headers: Malformed past it).
ExchangeResult exchange(Stream& stream, const std::string& request, bool head_request,
                        std::size_t max_body_bytes, HttpReport& response, const Deadline& deadline,
                        BodyLimit body_limit = BodyLimit::Truncate);

}  // namespace krtool::client
