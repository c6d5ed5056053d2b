// Undoing an answer's Content-Encoding. The proxy: route promises its caller an unencoded body (the dev
// server answers with encodings of its own, and a body must never reach a client encoded twice); krtool
// asks for none, but RFC 9110 section 12.5.3 lets a server choose any coding when a request names none.
// gzip and deflate are decoded with zlib; the rarer codings are refused rather than passed on wrongly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace krtool::http {

struct DecodedBody {
  enum class Status { Decoded, TooLarge, Refused };
  Status status = Status::Decoded;
  std::string body;   // when Decoded
  std::string error;  // why, otherwise
};

// decode_body undoes `content_encoding` (the header's value; empty or "identity" for none) on `body`,
// producing at most `max_bytes` whatever the coding (a small gzip body can inflate to gigabytes; more is
// TooLarge). "gzip", "x-gzip" and "deflate" (zlib-wrapped, or raw as some servers send it) are decoded;
// any other coding, several stacked, or a body that is not what its coding says, is Refused.
DecodedBody decode_body(std::string_view content_encoding, std::string body, std::size_t max_bytes);

}  // namespace krtool::http
