// fetch: a plain-HTTP GET for the few things libkrtool downloads itself (CRLs from a certificate's
// distribution points in Online revocation mode). Private to libkrtool; <httplib.h> stays behind it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace krtool::http {

struct FetchResult {
  int status = 0;  // the HTTP status code; the body is returned whatever it is
  std::string body;
};

// kMaxFetchBytes caps a response body: a CRL server that streams without end must not exhaust memory.
inline constexpr std::size_t kMaxFetchBytes = 16 * 1024 * 1024;

// fetch GETs an http:// URL, without following redirects. `timeout` bounds the connection and each
// read and write. Throws Error(Usage) for a URL it cannot use (another scheme, no host, a bad port),
// and Error(Network) naming the URL when the server is unreachable, too slow, or sends too much.
FetchResult fetch(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace krtool::http
