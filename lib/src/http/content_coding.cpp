#include "http/content_coding.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <vector>

#include "util/text.hpp"

namespace krtool::http {
namespace {

using Status = DecodedBody::Status;

DecodedBody refused(std::string why) { return DecodedBody{Status::Refused, {}, std::move(why)}; }

// codings lists a Content-Encoding value's codings, lower-cased, without "identity" (which is none).
std::vector<std::string> codings(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string coding = util::lower(value.substr(0, comma));
    coding.erase(0, coding.find_first_not_of(" \t"));
    coding.erase(coding.find_last_not_of(" \t") + 1);
    if (!coding.empty() && coding != "identity") out.push_back(std::move(coding));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return out;
}

// Inflater owns a zlib inflate stream.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ready_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ready_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ready() const { return ready_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ready_ = false;
};

// inflate_all decodes `in` whole. `gzip` allows several members one after the other (RFC 1952 section
// 2.2). Each round either consumes input or produces output, and output is capped, so the loop ends.
DecodedBody inflate_all(std::string_view in, int window_bits, bool gzip, std::string_view name,
                        std::size_t max_bytes) {
  Inflater inflater(window_bits);
  if (!inflater.ready()) return refused(fmt::format("zlib could not start decoding {}", name));
  z_stream& stream = inflater.stream();
  // An upstream body is at most kMaxFetchBytes (16 MiB), well within zlib's unsigned int.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  DecodedBody out;
  std::array<char, 64 * 1024> buffer{};
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    const int status = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = buffer.size() - stream.avail_out;
    if (out.body.size() + produced > max_bytes) {
      return DecodedBody{
          Status::TooLarge, {}, fmt::format("the decoded response is larger than {} bytes", max_bytes)};
    }
    out.body.append(buffer.data(), produced);
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) return out;
      if (!gzip) return refused(fmt::format("the {} body has bytes after its end", name));
      if (inflateReset(&stream) != Z_OK) return refused(fmt::format("zlib could not decode {}", name));
      continue;
    }
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR && stream.avail_in == 0)
      return refused(fmt::format("the {} body is cut short", name));
    return refused(
        fmt::format("the body is not valid {}: {}", name, stream.msg != nullptr ? stream.msg : "zlib error"));
  }
}

// has_zlib_header tells a zlib-wrapped deflate stream (RFC 1950: method 8, header checksum) from a raw
// one (RFC 1951), which some servers send as "deflate" although RFC 9110 says zlib.
bool has_zlib_header(std::string_view body) {
  if (body.size() < 2) return false;
  const auto first = static_cast<unsigned char>(body[0]);
  const auto second = static_cast<unsigned char>(body[1]);
  return (first & 0x0f) == 8 && (first >> 4) <= 7 && (first * 256 + second) % 31 == 0;
}

}  // namespace

DecodedBody decode_body(std::string_view content_encoding, std::string body, std::size_t max_bytes) {
  const std::vector<std::string> list = codings(content_encoding);
  // A HEAD answer, a 204 or a 304 has no body to decode whatever it is labelled.
  if (body.empty()) return DecodedBody{Status::Decoded, std::move(body), {}};
  // The limit holds for an unencoded body too, so that a caller can rely on it whatever the coding.
  if (list.empty()) {
    if (body.size() > max_bytes)
      return DecodedBody{
          Status::TooLarge, {}, fmt::format("the response is larger than {} bytes", max_bytes)};
    return DecodedBody{Status::Decoded, std::move(body), {}};
  }
  if (list.size() > 1) {
    return refused(fmt::format("the answer is encoded several times ('{}'), which krtool does not decode",
                               content_encoding));
  }
  const std::string& coding = list.front();
  if (coding == "gzip" || coding == "x-gzip") return inflate_all(body, 15 + 16, true, "gzip", max_bytes);
  if (coding == "deflate") {
    return inflate_all(body, has_zlib_header(body) ? 15 : -15, false, "deflate", max_bytes);
  }
  return refused(
      fmt::format("the answer is encoded as '{}', which krtool does not decode (only gzip and deflate)",
                  util::escape_controls(coding)));
}

}  // namespace krtool::http
