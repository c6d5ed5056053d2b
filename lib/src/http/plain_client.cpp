// fetch and forward (http/fetch.hpp): a small blocking HTTP/1.1 client over a plain TCP socket. It is
// test-client's own plain-HTTP path: connect_to (bounded name resolution, non-blocking connect),
// PlainStream and exchange (the response read with http-parser: Content-Length, chunked and
// close-delimited bodies). One request per connection (Connection: close), and one deadline for the
// whole exchange, so that an upstream that answers a byte at a time is cut off too.
#include <fmt/format.h>

#include <string_view>

#include "client/connection.hpp"
#include "client/http_exchange.hpp"
#include "client/stream.hpp"
#include "http/content_coding.hpp"
#include "http/fetch.hpp"
#include "http/token.hpp"
#include "http/url.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::http {
namespace {

using Failure = ForwardResult::Failure;

// kMaxHeaderFields bounds the header fields kept from an answer (http-parser already caps the whole
// head at 80 KiB); nginx's proxy, with its 4-8 KiB header buffer, takes fewer still.
constexpr std::size_t kMaxHeaderFields = 256;

// Answer is one request's outcome: the response, or why there is none.
struct Answer {
  Failure failure = Failure::None;
  std::string error;
  client::HttpReport response;
};

std::string describe(const client::ConnectFailure& failure) {
  if (failure.what == "timed out") return fmt::format("the connection timed out: {}", failure.detail);
  if (failure.what == "connection refused") return "could not connect";
  if (failure.what == "could not resolve") return fmt::format("could not resolve {}", failure.detail);
  return fmt::format("could not connect: {}", failure.detail);
}

std::string describe(const client::ExchangeResult& result) {
  switch (result.stage) {
    case client::ExchangeStage::SendFailed:
      return fmt::format("sending the request failed: {}", result.failure);
    case client::ExchangeStage::NoResponse:
      return fmt::format("no answer: {}", result.failure);
    case client::ExchangeStage::Incomplete:
      return fmt::format("the answer broke off: {}", result.failure);
    default:
      return result.failure;
  }
}

std::string header(const client::HttpReport& response, std::string_view wanted) {
  for (const auto& [name, value] : response.headers) {
    if (util::equals_ignoring_case(name, wanted)) return value;
  }
  return "";
}

std::string time_limit(std::chrono::milliseconds timeout) {
  return fmt::format(" (the exchange may take {} ms)", timeout.count());
}

// send_and_read makes one exchange with host:port within `timeout`, and decodes an encoded body.
Answer send_and_read(const std::string& host, int port, const std::string& request, bool head_request,
                     std::chrono::milliseconds timeout, client::SteadyNow now) {
  const client::Deadline deadline(timeout, now);
  Answer answer;
  auto connected = client::connect_to(host, port, {}, deadline);
  if (const auto* failure = std::get_if<client::ConnectFailure>(&connected)) {
    answer.failure = failure->what == "timed out" ? Failure::TimedOut : Failure::Unreachable;
    answer.error = describe(*failure);
    if (answer.failure == Failure::TimedOut) answer.error += time_limit(timeout);
    return answer;
  }
  client::PlainStream stream(std::move(std::get<client::Connected>(connected).socket));
  const client::ExchangeResult result = client::exchange(stream, request, head_request, kMaxFetchBytes,
                                                         answer.response, deadline, client::BodyLimit::Stop);
  if (result.stage == client::ExchangeStage::TooLarge) {
    answer.failure = Failure::TooLarge;
    answer.error = fmt::format("the response is larger than {} bytes", kMaxFetchBytes);
    return answer;
  }
  if (result.stage != client::ExchangeStage::Done) {
    answer.failure = result.timed_out ? Failure::TimedOut : Failure::Unreachable;
    answer.error = describe(result);
    if (result.timed_out) answer.error += time_limit(timeout);
    return answer;
  }
  if (answer.response.headers.size() > kMaxHeaderFields) {
    answer.failure = Failure::Unreachable;
    answer.error = fmt::format("the answer has more than {} header fields", kMaxHeaderFields);
    return answer;
  }
  DecodedBody decoded = decode_body(header(answer.response, "content-encoding"),
                                    std::move(answer.response.body), kMaxFetchBytes);
  answer.response.body = std::move(decoded.body);
  if (decoded.status != DecodedBody::Status::Decoded) {
    answer.failure =
        decoded.status == DecodedBody::Status::TooLarge ? Failure::TooLarge : Failure::Unreachable;
    answer.error = std::move(decoded.error);
  }
  return answer;
}

// parse_target accepts only http:// URLs: the online revocation check fetches http:// distribution points
// (a CRL is signed, so TLS would add nothing but a second trust question).
Url parse_target(const std::string& url) {
  auto parsed = parse_url(url);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    throw Error(Errc::Usage, fmt::format("cannot fetch '{}': {}", url, *why),
                "only http:// URLs of the form http://host[:port]/path can be fetched");
  }
  Url target = std::get<Url>(parsed);
  if (target.tls) {
    throw Error(Errc::Usage, fmt::format("cannot fetch '{}': not an http:// URL", url),
                "only http:// URLs of the form http://host[:port]/path can be fetched");
  }
  return target;
}

// has_line_break_or_nul: the bytes that would end a request line or a header early, or split it.
bool has_line_break_or_nul(std::string_view text) { return text.find_first_of({"\r\n\0", 3}) != text.npos; }

// unsafe_part names the first part of `request` that would change the request's framing if sent as
// is; the proxy checks what clients send, and this keeps any caller from smuggling a header.
std::string unsafe_part(const ForwardRequest& request) {
  if (!is_token(request.method)) return "the method";
  if (request.target.empty() || request.target.find_first_of({" \t\r\n\0", 5}) != std::string::npos)
    return "the target";
  if (has_line_break_or_nul(request.content_type)) return "the Content-Type";
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name) || has_line_break_or_nul(value))
      return fmt::format("header '{}'", util::escape_controls(name));
  }
  return "";
}

std::string authority(const std::string& host, int port) {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 80) out += fmt::format(":{}", port);
  return out;
}

}  // namespace

FetchResult fetch(const std::string& url, std::chrono::milliseconds timeout, const FetchBody* body) {
  const Url target = parse_target(url);
  std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\nUser-Agent: krtool\r\n",
                                    body != nullptr ? "POST" : "GET", target.target, target.authority);
  if (body != nullptr) {
    if (has_line_break_or_nul(body->content_type))
      throw Error(Errc::Internal, "a fetch's Content-Type has a character that would end its line");
    request +=
        fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", body->content_type, body->bytes.size());
  }
  request += "Connection: close\r\n\r\n";
  if (body != nullptr) request += body->bytes;
  Answer answer =
      send_and_read(target.host, target.port, request, false, timeout, &std::chrono::steady_clock::now);
  if (answer.failure != Failure::None) {
    throw Error(Errc::Network, fmt::format("fetching '{}' failed: {}", url, answer.error),
                "check that the server is running and reachable from this machine");
  }
  return FetchResult{answer.response.status, std::move(answer.response.body)};
}

ForwardResult forward(const std::string& host, int port, const ForwardRequest& request,
                      std::chrono::milliseconds timeout, client::SteadyNow now) {
  ForwardResult result;
  if (const std::string part = unsafe_part(request); !part.empty()) {
    result.failure = Failure::Unreachable;
    result.error = fmt::format("not sent: {} has a character that would end its line", part);
    return result;
  }
  std::string head =
      fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", request.method, request.target, authority(host, port));
  for (const auto& [name, value] : request.headers) head += fmt::format("{}: {}\r\n", name, value);
  if (!request.content_type.empty()) head += fmt::format("Content-Type: {}\r\n", request.content_type);
  // RFC 9110 section 8.6: a length for every body, and for the methods that expect one even when empty.
  const bool expects_body = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (!request.body.empty() || expects_body)
    head += fmt::format("Content-Length: {}\r\n", request.body.size());
  head += "Connection: close\r\n\r\n";

  Answer answer = send_and_read(host, port, head + request.body, request.method == "HEAD", timeout, now);
  result.failure = answer.failure;
  result.error = std::move(answer.error);
  if (result.failure != Failure::None) return result;
  result.status = answer.response.status;
  result.headers = std::move(answer.response.headers);
  result.body = std::move(answer.response.body);
  return result;
}

}  // namespace krtool::http
