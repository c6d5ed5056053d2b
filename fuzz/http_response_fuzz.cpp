// test-client's response parsing: whatever a server sends back, read through the same exchange() that
// test-client runs over a socket or TLS, here over bytes in memory handed out in small pieces.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "client/http_exchange.hpp"
#include "client/stream.hpp"
#include "fuzz_input.hpp"

namespace {

using krtool::client::Deadline;

// BytesStream answers reads with the fuzz input, `piece` bytes at a time, then the end of the stream.
class BytesStream : public krtool::client::Stream {
 public:
  BytesStream(std::string_view bytes, size_t piece) : bytes_(bytes), piece_(piece) {}
  bool write_all(std::string_view, const Deadline&) override { return true; }
  long read_some(char* buffer, std::size_t size, const Deadline&) override {
    const size_t n = std::min({size, piece_, bytes_.size()});
    std::memcpy(buffer, bytes_.data(), n);
    bytes_.remove_prefix(n);
    return static_cast<long>(n);
  }

 private:
  std::string_view bytes_;
  size_t piece_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses a HEAD request (no body expected) and how the bytes are split up.
  const bool head_request = (data[0] & 0x80) != 0;
  const size_t piece = (data[0] & 0x7f) + 1;
  BytesStream stream(krtool::fuzz::text_of(data + 1, size - 1), piece);
  krtool::client::HttpReport report;
  krtool::fuzz::rejecting([&] {
    (void)krtool::client::exchange(stream, "GET / HTTP/1.1\r\n\r\n", head_request, /*max_body_bytes=*/4096,
                                   report, Deadline(std::chrono::seconds(5)));
  });
  return 0;
}
