// The plain-HTTP requests libkrtool_net makes itself: a GET for CRLs from a certificate's distribution
// points and a POST to its OCSP responder (Online revocation mode), and the requests a proxy: route forwards
// to its upstream. Private to the library; plain_client.cpp answers it with test-client's plain-HTTP path.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace krtool::http {

struct FetchResult {
  int status = 0;  // the HTTP status code; the body is returned whatever it is
  std::string body;
};

// kMaxFetchBytes caps a response body: a CRL server that streams without end must not exhaust memory.
inline constexpr std::size_t kMaxFetchBytes = 16 * 1024 * 1024;

// FetchBody is what a POST sends: an OCSP request (application/ocsp-request).
struct FetchBody {
  std::string content_type;
  std::string bytes;
};

// fetch GETs an http:// URL, or POSTs `body` to it when given, without following redirects. `timeout` bounds
// the whole exchange: name resolution, connection, request and the complete answer. Throws Error(Usage) for a
// URL it cannot use (another scheme, no host, a bad port), and Error(Network) naming the URL when the server
// is unreachable, too slow, or sends too much.
FetchResult fetch(const std::string& url, std::chrono::milliseconds timeout, const FetchBody* body = nullptr);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ForwardRequest {
  std::string method;
  std::string target;  // path and query, as sent to the upstream
  HeaderList headers;  // sent as given; the client adds Host and Content-Length
  std::string body;
  std::string content_type;
};

struct ForwardResult {
  enum class Failure { None, Unreachable, TimedOut, TooLarge };
  Failure failure = Failure::None;
  std::string error;  // why, when failure != None
  int status = 0;
  HeaderList headers;
  std::string body;
};

// forward sends `request` to the http:// upstream at `host`:`port` and returns its answer: no redirect
// followed, interim 1xx answers skipped, a gzip or deflate body decoded (the caller drops
// Content-Encoding; another coding is Unreachable). `timeout` bounds the whole exchange, from name
// resolution to the answer's last byte (TimedOut; a refusal, a reset or a broken answer is
// Unreachable); a body over kMaxFetchBytes, encoded or decoded, is TooLarge. Never throws for what the
// upstream does. `now` is the clock the deadline reads (client::SteadyNow): a unit test passes its own.
ForwardResult forward(const std::string& host, int port, const ForwardRequest& request,
                      std::chrono::milliseconds timeout,
                      std::chrono::steady_clock::time_point (*now)() = &std::chrono::steady_clock::now);

}  // namespace krtool::http
