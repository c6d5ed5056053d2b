#include <fmt/format.h>
#include <httplib.h>

#include "http/fetch.hpp"
#include "http/url.hpp"
#include "krtool/error.hpp"

namespace krtool::http {
namespace {

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

std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect";
    case httplib::Error::ConnectionTimeout:
      return "the connection timed out";
    case httplib::Error::Read:
      return "reading the response failed or timed out";
    case httplib::Error::Write:
      return "sending the request failed or timed out";
    case httplib::Error::Canceled:
      return fmt::format("the response is larger than {} bytes", kMaxFetchBytes);
    default:
      return httplib::to_string(error);
  }
}

}  // namespace

FetchResult fetch(const std::string& url, std::chrono::milliseconds timeout) {
  const Url target = parse_target(url);
  httplib::Client client(target.host, target.port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_follow_location(false);
  client.set_keep_alive(false);

  FetchResult result;
  httplib::Result response = client.Get(target.target, [&](const char* data, std::size_t length) {
    if (result.body.size() + length > kMaxFetchBytes) return false;
    result.body.append(data, length);
    return true;
  });
  if (!response) {
    throw Error(Errc::Network, fmt::format("fetching '{}' failed: {}", url, describe(response.error())),
                "check that the server is running and reachable from this machine");
  }
  result.status = response->status;
  return result;
}

ForwardResult forward(const std::string& host, int port, const ForwardRequest& request,
                      std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_follow_location(false);
  client.set_keep_alive(false);
  // Decoded on arrival: the dev server answers with its own encoding, so a body must never be sent on
  // with the upstream's Content-Encoding and encoded a second time.
  client.set_decompress(true);

  httplib::Request upstream_request;
  upstream_request.method = request.method;
  upstream_request.path = request.target;
  for (const auto& [name, value] : request.headers) upstream_request.headers.emplace(name, value);
  upstream_request.body = request.body;
  if (!request.content_type.empty()) upstream_request.set_header("Content-Type", request.content_type);

  ForwardResult result;
  upstream_request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t,
                                          std::uint64_t) {
    if (result.body.size() + length > kMaxFetchBytes) {
      result.failure = ForwardResult::Failure::TooLarge;
      return false;
    }
    result.body.append(data, length);
    return true;
  };
  const auto started = std::chrono::steady_clock::now();
  httplib::Result response = client.send(upstream_request);
  const auto waited = std::chrono::steady_clock::now() - started;
  if (result.failure == ForwardResult::Failure::TooLarge) {
    result.error = describe(httplib::Error::Canceled);
    return result;
  }
  if (!response) {
    // cpp-httplib reports a reset and a read that timed out alike (Error::Read); only the time spent
    // tells them apart.
    const httplib::Error error = response.error();
    const bool timed_out =
        error == httplib::Error::ConnectionTimeout ||
        ((error == httplib::Error::Read || error == httplib::Error::Write) && waited >= timeout);
    result.failure = timed_out ? ForwardResult::Failure::TimedOut : ForwardResult::Failure::Unreachable;
    result.error = describe(error);
    return result;
  }
  result.status = response->status;
  for (const auto& [name, value] : response->headers) result.headers.emplace_back(name, value);
  return result;
}

}  // namespace krtool::http
