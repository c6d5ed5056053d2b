// Content-Encoding: the gzip and deflate bodies that a proxy: route's upstream, a CRL distribution point
// or an OCSP responder sends, undone by decode_body (http/content_coding.hpp). A body of a few
// kilobytes can inflate to gigabytes, so the limit is the property: never more than it, and exactly at it.
#include <array>
#include <cstdlib>

#include "fuzz_input.hpp"
#include "http/content_coding.hpp"

using krtool::http::decode_body;
using krtool::http::DecodedBody;

namespace {

// The codings a server may name, and some that krtool refuses.
constexpr std::array<std::string_view, 8> kCodings = {"gzip",      "deflate",    "x-gzip", "identity",
                                                      " DEFLATE ", "gzip, gzip", "br",     ""};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the coding (bits 0-2) and the limit, in steps of 64 KiB up to 1984 KiB
  // (bits 3-7): small enough that a 16 KiB input can exceed it many times over.
  const std::string_view coding = kCodings[data[0] & 7];
  const std::size_t limit = static_cast<std::size_t>(data[0] >> 3) * 64 * 1024;
  const std::string body(krtool::fuzz::text_of(data + 1, size - 1));

  const DecodedBody decoded = decode_body(coding, body, limit);
  if (decoded.status != DecodedBody::Status::Decoded) {
    if (!decoded.body.empty() || decoded.error.empty()) std::abort();
    return 0;
  }
  if (decoded.body.size() > limit || !decoded.error.empty()) std::abort();
  // The limit is exact: the same body decodes within its own decoded size, and one byte less is too
  // little.
  const DecodedBody exact = decode_body(coding, body, decoded.body.size());
  if (exact.status != DecodedBody::Status::Decoded || exact.body != decoded.body) std::abort();
  if (!decoded.body.empty() &&
      decode_body(coding, body, decoded.body.size() - 1).status != DecodedBody::Status::TooLarge)
    std::abort();
  return 0;
}
