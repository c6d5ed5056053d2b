// Undoing Content-Encoding for the proxy: route (http/content_coding.hpp), on bodies that zlib encodes
// here as a server would.
#include "http/content_coding.hpp"

#include <catch2/catch.hpp>

#include "http_fixtures.hpp"

namespace krtool::http {
namespace {

using Status = DecodedBody::Status;

using test::zlib_encode;

}  // namespace

TEST_CASE("gzip, x-gzip and both kinds of deflate are decoded", "[http][coding]") {
  const std::string text = "a CRL or a JSON answer, encoded by the upstream";
  CHECK(decode_body("gzip", zlib_encode(text, 31), 1024).body == text);
  CHECK(decode_body(" X-GZIP ", zlib_encode(text, 31), 1024).body == text);
  CHECK(decode_body("deflate", zlib_encode(text, 15), 1024).body == text);
  CHECK(decode_body("deflate", zlib_encode(text, -15), 1024).body == text);
  const DecodedBody two_members =
      decode_body("gzip", zlib_encode("one, ", 31) + zlib_encode("two", 31), 1024);
  CHECK(two_members.status == Status::Decoded);
  CHECK(two_members.body == "one, two");
}

TEST_CASE("no coding, identity, or an empty body are passed through", "[http][coding]") {
  CHECK(decode_body("", "as is", 16).body == "as is");
  CHECK(decode_body("identity", "as is", 16).body == "as is");
  CHECK(decode_body("gzip", "", 16).status == Status::Decoded);
}

TEST_CASE("a decoded body is capped, however small the encoded one", "[http][coding]") {
  const std::string bomb = zlib_encode(std::string(1 << 20, '\0'), 31);
  CHECK(bomb.size() < 4096);
  const DecodedBody decoded = decode_body("gzip", bomb, (1 << 20) - 1);
  CHECK(decoded.status == Status::TooLarge);
  CHECK(decoded.error == "the decoded response is larger than 1048575 bytes");
  CHECK(decode_body("gzip", bomb, 1 << 20).status == Status::Decoded);
}

TEST_CASE("the limit holds for a body without a coding too", "[http][coding]") {
  // Found by fuzz_content_coding: an unencoded body was passed on whatever its size, so decode_body's
  // "at most max_bytes" held only for encoded ones.
  const DecodedBody over = decode_body("", "\n", 0);
  CHECK(over.status == Status::TooLarge);
  CHECK(over.error == "the response is larger than 0 bytes");
  CHECK(over.body.empty());
  CHECK(decode_body("identity", "12345", 4).status == Status::TooLarge);
  CHECK(decode_body("identity", "12345", 5).body == "12345");
}

TEST_CASE("a body that is not what its coding says, or a coding krtool does not decode, is refused",
          "[http][coding]") {
  const std::string gzipped = zlib_encode("some text that compresses", 31);
  const DecodedBody corrupt = decode_body("gzip", "not gzip at all", 1024);
  CHECK(corrupt.status == Status::Refused);
  CHECK_THAT(corrupt.error, Catch::StartsWith("the body is not valid gzip: "));
  const DecodedBody cut = decode_body("gzip", gzipped.substr(0, gzipped.size() - 4), 1024);
  CHECK(cut.status == Status::Refused);
  CHECK(cut.error == "the gzip body is cut short");
  CHECK(decode_body("gzip", gzipped + "junk", 1024).status == Status::Refused);
  CHECK(decode_body("deflate", zlib_encode("x", 15) + "junk", 1024).error ==
        "the deflate body has bytes after its end");
  CHECK(decode_body("gzip, gzip", zlib_encode(gzipped, 31), 1024).error ==
        "the answer is encoded several times ('gzip, gzip'), which krtool does not decode");
  CHECK(decode_body("zstd", "x", 1024).error ==
        "the answer is encoded as 'zstd', which krtool does not decode (only gzip and deflate)");
}

}  // namespace krtool::http
