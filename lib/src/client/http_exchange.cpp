#include "client/http_exchange.hpp"

#include <fmt/format.h>
#include <http_parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>

#include "util/text.hpp"

namespace krtool::client {

namespace {

bool has_header(const TestClientOptions& options, std::string_view name) {
  return std::any_of(options.headers.begin(), options.headers.end(),
                     [&](const auto& header) { return util::equals_ignoring_case(header.first, name); });
}

// ResponseReader collects what http-parser finds; header names and values can arrive in pieces.
struct ResponseReader {
  HttpReport* response = nullptr;
  std::size_t max_body_bytes = 0;
  bool head_request = false;
  bool stop_at_limit = false;
  bool in_value = false;
  bool complete = false;
  std::string field, value;

  void flush_header() {
    if (!field.empty()) response->headers.emplace_back(std::move(field), std::move(value));
    field.clear();
    value.clear();
  }
};

ResponseReader& reader_of(http_parser* parser) { return *static_cast<ResponseReader*>(parser->data); }

const http_parser_settings kSettings = [] {
  http_parser_settings settings{};
  settings.on_status = [](http_parser* parser, const char* at, std::size_t length) {
    reader_of(parser).response->reason.append(at, length);
    return 0;
  };
  settings.on_header_field = [](http_parser* parser, const char* at, std::size_t length) {
    ResponseReader& reader = reader_of(parser);
    if (reader.in_value) reader.flush_header();
    reader.in_value = false;
    reader.field.append(at, length);
    return 0;
  };
  settings.on_header_value = [](http_parser* parser, const char* at, std::size_t length) {
    ResponseReader& reader = reader_of(parser);
    reader.in_value = true;
    reader.value.append(at, length);
    return 0;
  };
  settings.on_headers_complete = [](http_parser* parser) {
    ResponseReader& reader = reader_of(parser);
    reader.flush_header();
    reader.response->received = true;
    reader.response->status = static_cast<int>(parser->status_code);
    if (reader.head_request) return 1;  // 1: a HEAD response has no body whatever its headers say
    // A declared length over the limit stops the reading before the body (any value but 0-2: an error).
    const bool declared = (parser->flags & F_CHUNKED) == 0 && parser->content_length != ULLONG_MAX;
    if (reader.stop_at_limit && declared && parser->content_length > reader.max_body_bytes) {
      reader.response->body_truncated = true;
      return 3;
    }
    return 0;
  };
  settings.on_body = [](http_parser* parser, const char* at, std::size_t length) {
    ResponseReader& reader = reader_of(parser);
    std::string& body = reader.response->body;
    const std::size_t room = reader.max_body_bytes - std::min(reader.max_body_bytes, body.size());
    if (length > room) reader.response->body_truncated = true;
    body.append(at, std::min(length, room));
    return reader.response->body_truncated && reader.stop_at_limit ? 1 : 0;  // 1: stop the parser here
  };
  settings.on_message_complete = [](http_parser* parser) {
    ResponseReader& reader = reader_of(parser);
    // An interim answer (100 Continue, 103 Early Hints) comes before the real one on the same stream.
    if (parser->status_code >= 100 && parser->status_code < 200 && parser->status_code != 101) {
      *reader.response = HttpReport{};
      reader.in_value = false;
      return 0;
    }
    reader.complete = true;
    return 0;
  };
  return settings;
}();

}  // namespace

std::string build_request(const Url& url, const TestClientOptions& options) {
  std::string method = options.method;
  if (method.empty()) method = options.data ? "POST" : "GET";
  std::string request = fmt::format("{} {} HTTP/1.1\r\n", method, url.target);
  if (!has_header(options, "Host")) request += fmt::format("Host: {}\r\n", url.authority);
  if (!has_header(options, "User-Agent")) request += "User-Agent: krtool-test-client/0.1.0\r\n";
  if (!has_header(options, "Accept")) request += "Accept: */*\r\n";
  if (options.data && !has_header(options, "Content-Type")) {
    request += "Content-Type: application/x-www-form-urlencoded\r\n";
  }
  const bool framed_by_user =
      has_header(options, "Content-Length") || has_header(options, "Transfer-Encoding");
  if (options.data && !framed_by_user) request += fmt::format("Content-Length: {}\r\n", options.data->size());
  if (!has_header(options, "Connection")) request += "Connection: close\r\n";
  for (const auto& [name, value] : options.headers) request += fmt::format("{}: {}\r\n", name, value);
  request += "\r\n";
  if (options.data) request += *options.data;
  return request;
}

ExchangeResult exchange(Stream& stream, const std::string& request, bool head_request,
                        std::size_t max_body_bytes, HttpReport& response, const Deadline& deadline,
                        BodyLimit body_limit) {
  ExchangeResult result;
  if (!stream.write_all(request, deadline)) {
    result.stage = ExchangeStage::SendFailed;
    result.failure = stream.failure();
    result.timed_out = stream.timed_out();
    return result;
  }
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  ResponseReader reader;
  reader.response = &response;
  reader.max_body_bytes = max_body_bytes;
  reader.head_request = head_request;
  reader.stop_at_limit = body_limit == BodyLimit::Stop;
  parser.data = &reader;

  std::array<char, 16 * 1024> buffer{};
  for (;;) {
    const long got = stream.read_some(buffer.data(), buffer.size(), deadline);
    if (got < 0) {
      result.stage = response.received ? ExchangeStage::Incomplete : ExchangeStage::NoResponse;
      result.failure = stream.failure();
      result.timed_out = stream.timed_out();
      return result;
    }
    // A zero-length execute tells the parser the stream ended, which completes a close-delimited body.
    const std::size_t used =
        http_parser_execute(&parser, &kSettings, buffer.data(), static_cast<std::size_t>(got));
    const http_errno error = HTTP_PARSER_ERRNO(&parser);
    if ((error == HPE_CB_body || error == HPE_CB_headers_complete) && response.body_truncated) {
      result.stage = ExchangeStage::TooLarge;
      result.failure = fmt::format("the response body is larger than {} bytes", max_body_bytes);
      return result;
    }
    if (HTTP_PARSER_ERRNO(&parser) != HPE_OK && got == 0) {  // the stream ended in the middle of a response
      result.stage = response.received ? ExchangeStage::Incomplete : ExchangeStage::NoResponse;
      result.failure = "the server closed the connection in the middle of the response";
      return result;
    }
    if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
      result.stage = response.received ? ExchangeStage::Incomplete : ExchangeStage::Malformed;
      result.failure = fmt::format("the response is not valid HTTP: {}",
                                   http_errno_description(HTTP_PARSER_ERRNO(&parser)));
      return result;
    }
    (void)used;
    if (reader.complete) {
      result.stage = ExchangeStage::Done;
      return result;
    }
    if (got == 0) {
      result.stage = response.received ? ExchangeStage::Incomplete : ExchangeStage::NoResponse;
      result.failure = "the server closed the connection before the response was complete";
      if (!response.received) result.failure = "the server closed the connection without answering";
      return result;
    }
  }
}

}  // namespace krtool::client
