// RequestParser runs two readers over the same bytes, in lock-step: FrameScanner, a strict byte-level
// check of RFC 9112's grammar that also knows where each request ends, and http_parser (Debian's
// libhttp-parser 2.9.4, the parser test-client already uses), which splits the request into its parts
// and de-chunks the body. Debian builds http_parser with HTTP_PARSER_STRICT=0, which accepts a space
// inside a header name, obs-fold, any two bytes after chunk data, anything after a chunk size's CR and
// any byte in a chunk extension: each of those is a way for a proxy in front to read a request
// differently. FrameScanner refuses them before http_parser sees the byte, and http_parser is fed exactly
// the bytes FrameScanner accepted, so the two must end each head and each request at the same byte; if
// they ever do not, the request is refused ("framing read two ways"), never guessed.
#include "server/http1_request.hpp"

#include <http_parser.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>

#include "util/text.hpp"

namespace krtool::server::http1 {

namespace {

// Byte classes of RFC 9110 §5.6.2 and §5.5, as bits of one table: one lookup per byte on the hot path.
enum : std::uint8_t {
  kToken = 1,       // tchar
  kFieldValue = 2,  // field-vchar, SP, HTAB: VCHAR, obs-text
  kTarget = 4,      // a byte of the request target: VCHAR or obs-text (UTF-8 sent raw); no SP, no CTL
  kHostChar = 8,    // uri-host and port: unreserved, sub-delims, ':', '[', ']', '%'
};

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> classes{};
  for (int c = 0x21; c <= 0xFF; ++c) {
    if (c != 0x7F) classes[c] |= kFieldValue | kTarget;
  }
  classes[' '] |= kFieldValue;
  classes['\t'] |= kFieldValue;
  for (int c = '0'; c <= '9'; ++c) classes[c] |= kToken | kHostChar;
  for (int c = 'a'; c <= 'z'; ++c) classes[c] |= kToken | kHostChar;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] |= kToken | kHostChar;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) classes[static_cast<unsigned char>(c)] |= kToken;
  for (char c : std::string_view("-._~!$&'()*+,;=:[]%")) classes[static_cast<unsigned char>(c)] |= kHostChar;
  return classes;
}();

bool is(unsigned char c, std::uint8_t byte_class) { return (kClasses[c] & byte_class) != 0; }

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// for_each_list_element calls `element` with each non-empty, trimmed element of a comma-separated list
// (RFC 9110 §5.6.1: empty elements are allowed and ignored).
template <typename Element>
void for_each_list_element(std::string_view list, Element&& element) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim_ows(list.substr(0, comma));
    if (!item.empty()) element(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

enum class Framing { None, Length, Chunked };

// The longest chunk-size line with its extensions: extensions are rare, and each chunk's line is
// otherwise bytes that cost the server time without counting towards the body limit.
constexpr std::size_t kMaxChunkLineBytes = 4096;

// FrameScanner checks the request line, the header and trailer sections and the chunked framing byte by
// byte, counts every limit, and says where the head and the request end. It keeps no bytes: what it
// needs of the headers (the body's framing) it is told by begin_body().
class FrameScanner {
 public:
  enum class Event { More, HeadEnd, MessageEnd, Error };
  struct Step {
    std::size_t length;  // bytes accepted; for Error, those before the offending byte
    Event event;
  };

  explicit FrameScanner(const RequestLimits& limits) : limits_(limits) {}

  void reset() { *this = FrameScanner(limits_); }
  bool idle() const { return phase_ == Phase::Start || phase_ == Phase::StartLF; }
  bool in_body() const { return phase_ >= Phase::Length || in_trailers_; }
  int version_minor() const { return version_[7] - '0'; }
  const RequestError& error() const { return error_; }

  // begin_body is called at HeadEnd with the framing the headers declared (None ends the request).
  void begin_body(Framing framing, std::uint64_t length) {
    if (framing == Framing::Chunked) {
      phase_ = Phase::ChunkSizeStart;
    } else if (framing == Framing::Length && length > 0) {
      phase_ = Phase::Length;
      remaining_ = length;
    } else {
      phase_ = Phase::Done;
    }
  }

  Step scan(std::string_view bytes) {
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    while (p < end) {
      const Event event = phase_ < Phase::Length ? scan_head(p, end) : scan_body(p, end);
      if (event != Event::More) return {static_cast<std::size_t>(p - bytes.data()), event};
    }
    return {bytes.size(), Event::More};
  }

 private:
  enum class Phase : std::uint8_t {
    // the head, and the trailer section (in_trailers_) of a chunked body
    Start,    // before the request line: empty lines are ignored (RFC 9112 §2.2)
    StartLF,  // CR of such an empty line
    Method,
    Target,
    Version,
    RequestLineLF,
    FieldStart,  // the start of a field line, or of the empty line that ends the section
    Name,
    Value,
    FieldLF,
    EndLF,
    // the body
    Length,
    ChunkSizeStart,
    ChunkSize,
    ExtBWS,  // after a chunk size or an extension, before ';' or CR
    ExtNameStart,
    ExtName,
    ExtAfterName,
    ExtValueStart,
    ExtValue,
    ExtQuoted,
    ExtQuotedPair,
    ChunkLineLF,
    ChunkData,
    ChunkDataCR,
    ChunkDataLF,
    Done,
  };

  Event fail(int status, std::string reason) {
    error_ = {status, std::move(reason)};
    return Event::Error;
  }

  Event line_end_error(unsigned char c) {
    return fail(400, c == '\n' ? "a line ended by LF without CR" : "CR without LF");
  }

  // scan_head reads the head or the trailer section up to its end, an error, or the end of the bytes,
  // within what is left of max_head_bytes. On Error, `p` is at the offending byte; on HeadEnd and
  // MessageEnd, just after the LF of the empty line.
  Event scan_head(const char*& p, const char* const end) {
    const std::size_t budget = limits_.max_head_bytes - std::min(limits_.max_head_bytes, head_bytes_);
    const char* const stop = p + std::min<std::size_t>(static_cast<std::size_t>(end - p), budget);
    const char* const start = p;
    const Event event = scan_head_bytes(p, stop);
    head_bytes_ += static_cast<std::size_t>(p - start);
    if (event == Event::More && p < end) {
      return fail(
          431, in_trailers_
                   ? "trailer section over the limit of " + std::to_string(limits_.max_head_bytes) + " bytes"
                   : "request head over the limit of " + std::to_string(limits_.max_head_bytes) + " bytes");
    }
    return event;
  }

  Event scan_head_bytes(const char*& p, const char* const stop) {
    for (; p < stop; ++p) {
      auto c = static_cast<unsigned char>(*p);
      switch (phase_) {
        case Phase::Start:
          if (c == '\r') {
            phase_ = Phase::StartLF;
          } else if (is(c, kToken)) {
            phase_ = Phase::Method;
          } else if (c == '\n') {
            return line_end_error(c);
          } else {
            return fail(400, "malformed request line");
          }
          break;
        case Phase::StartLF:
          if (c != '\n') return line_end_error(c);
          phase_ = Phase::Start;
          break;
        case Phase::Method:
          if (c == ' ') {
            phase_ = Phase::Target;
          } else if (!is(c, kToken)) {
            return fail(400, "malformed request line");
          }
          break;
        case Phase::Target:
          while (is(c, kTarget)) {
            if (++target_bytes_ > limits_.max_target_bytes) {
              return fail(414, "request target over the limit of " +
                                   std::to_string(limits_.max_target_bytes) + " bytes");
            }
            if (p + 1 == stop) break;
            c = static_cast<unsigned char>(*++p);
          }
          if (is(c, kTarget)) break;  // the end of the bytes
          if (c == ' ' && target_bytes_ > 0) {
            phase_ = Phase::Version;
          } else if (c == '\r' || c == '\n') {
            return fail(400, "no HTTP version in the request line");
          } else if (c == ' ') {
            return fail(400, "malformed request line");
          } else {
            return fail(400, "a control character in the request target");
          }
          break;
        case Phase::Version:
          if (c == '\r') {
            if (Event event = check_version(); event != Event::More) return event;
            phase_ = Phase::RequestLineLF;
          } else if (c == '\n') {
            return line_end_error(c);
          } else if (version_length_ == version_.size()) {
            return fail(400, "malformed HTTP version");
          } else {
            version_[version_length_++] = static_cast<char>(c);
          }
          break;
        case Phase::RequestLineLF:
        case Phase::FieldLF:
          if (c != '\n') return line_end_error(c);
          phase_ = Phase::FieldStart;
          break;
        case Phase::FieldStart:
          if (c == '\r') {
            phase_ = Phase::EndLF;
          } else if (is(c, kToken)) {
            if (++fields_ > limits_.max_header_count) {
              return fail(431, "more than " + std::to_string(limits_.max_header_count) +
                                   (in_trailers_ ? " trailer fields" : " header fields"));
            }
            phase_ = Phase::Name;
          } else if (c == ' ' || c == '\t') {
            return fail(400, "obs-fold: a header line starts with whitespace");
          } else if (c == ':') {
            return fail(400, "an empty header name");
          } else if (c == '\n') {
            return line_end_error(c);
          } else {
            return fail(400, "an invalid character in a header name");
          }
          break;
        case Phase::Name:
          while (is(c, kToken) && p + 1 < stop) c = static_cast<unsigned char>(*++p);
          if (is(c, kToken)) break;
          if (c == ':') {
            phase_ = Phase::Value;
          } else if (c == ' ' || c == '\t') {
            return fail(400, "whitespace between a header name and the colon");
          } else if (c == '\r' || c == '\n') {
            return fail(400, "a header line without a colon");
          } else {
            return fail(400, "an invalid character in a header name");
          }
          break;
        case Phase::Value:
          while (is(c, kFieldValue) && p + 1 < stop) c = static_cast<unsigned char>(*++p);
          if (is(c, kFieldValue)) break;
          if (c == '\r') {
            phase_ = Phase::FieldLF;
          } else if (c == '\n') {
            return line_end_error(c);
          } else {
            return fail(400, c == 0 ? "NUL in a header value" : "a control character in a header value");
          }
          break;
        case Phase::EndLF:
          if (c != '\n') return line_end_error(c);
          ++p;
          if (in_trailers_) {
            phase_ = Phase::Done;
            return Event::MessageEnd;
          }
          phase_ = Phase::Length;  // until begin_body() says which body follows
          return Event::HeadEnd;
        default:
          return fail(400, "framing read two ways");  // not a head phase: a bug, refused
      }
    }
    return Event::More;
  }

  // check_version accepts HTTP/1.0 and HTTP/1.1; a later HTTP/1.x is read as HTTP/1.1 (RFC 9110 §2.5),
  // another major version is 505.
  Event check_version() {
    const std::string_view version(version_.data(), version_length_);
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !digit(version[5]) || version[6] != '.' ||
        !digit(version[7])) {
      return fail(400, "malformed HTTP version");
    }
    if (version[5] != '1') return fail(505, std::string(version) + " is not supported");
    return Event::More;
  }

  Event scan_body(const char*& p, const char* const end) {
    for (; p < end; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if (phase_ >= Phase::ChunkSizeStart && phase_ <= Phase::ChunkLineLF &&
          ++chunk_line_bytes_ > kMaxChunkLineBytes) {
        return fail(400, "chunk line over " + std::to_string(kMaxChunkLineBytes) + " bytes");
      }
      switch (phase_) {
        case Phase::Length:
        case Phase::ChunkData: {
          const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, end - p));
          remaining_ -= take;
          p += take;
          if (remaining_ > 0) return Event::More;
          if (phase_ == Phase::Length) {
            phase_ = Phase::Done;
            return Event::MessageEnd;
          }
          phase_ = Phase::ChunkDataCR;
          --p;  // the loop's ++p
          break;
        }
        case Phase::ChunkSizeStart:
        case Phase::ChunkSize:
          if (const int digit = hex_value(c); digit >= 0) {
            if (phase_ == Phase::ChunkSizeStart) chunk_size_ = 0;
            phase_ = Phase::ChunkSize;
            const bool overflows = chunk_size_ > (UINT64_MAX >> 4);
            chunk_size_ = chunk_size_ * 16 + static_cast<std::uint64_t>(digit);
            if (overflows || chunk_size_ > limits_.max_body_bytes - received_) {
              return fail(
                  413, "chunked body over the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
            }
          } else if (c == ' ' || c == '\t') {
            phase_ = Phase::ExtBWS;
          } else if (c == ';') {
            phase_ = Phase::ExtNameStart;
          } else if (c == '\r') {
            phase_ = Phase::ChunkLineLF;
          } else if (phase_ == Phase::ChunkSizeStart) {
            return fail(400, "bad chunk size");
          } else if (c == '\n') {
            return line_end_error(c);
          } else {
            return fail(400, "bad chunk size");
          }
          break;
        case Phase::ExtBWS:
        case Phase::ExtAfterName:
          if (c == ';') {
            phase_ = Phase::ExtNameStart;
          } else if (c == '=' && phase_ == Phase::ExtAfterName) {
            phase_ = Phase::ExtValueStart;
          } else if (c == '\r') {
            phase_ = Phase::ChunkLineLF;
          } else if (c != ' ' && c != '\t') {
            return fail(400, "bad chunk extension");
          }
          break;
        case Phase::ExtNameStart:
          if (is(c, kToken)) {
            phase_ = Phase::ExtName;
          } else if (c != ' ' && c != '\t') {
            return fail(400, "bad chunk extension");
          }
          break;
        case Phase::ExtName:
        case Phase::ExtValue:
          if (is(c, kToken)) break;
          if (c == ' ' || c == '\t') {
            phase_ = phase_ == Phase::ExtName ? Phase::ExtAfterName : Phase::ExtBWS;
          } else if (c == '=' && phase_ == Phase::ExtName) {
            phase_ = Phase::ExtValueStart;
          } else if (c == ';') {
            phase_ = Phase::ExtNameStart;
          } else if (c == '\r') {
            phase_ = Phase::ChunkLineLF;
          } else {
            return fail(400, "bad chunk extension");
          }
          break;
        case Phase::ExtValueStart:
          if (c == '"') {
            phase_ = Phase::ExtQuoted;
          } else if (is(c, kToken)) {
            phase_ = Phase::ExtValue;
          } else if (c != ' ' && c != '\t') {
            return fail(400, "bad chunk extension");
          }
          break;
        case Phase::ExtQuoted:
          if (c == '"') {
            phase_ = Phase::ExtBWS;
          } else if (c == '\\') {
            phase_ = Phase::ExtQuotedPair;
          } else if (!is(c, kFieldValue)) {
            return fail(400, "bad chunk extension");
          }
          break;
        case Phase::ExtQuotedPair:
          if (!is(c, kFieldValue)) return fail(400, "bad chunk extension");
          phase_ = Phase::ExtQuoted;
          break;
        case Phase::ChunkLineLF:
          if (c != '\n') return line_end_error(c);
          chunk_line_bytes_ = 0;
          if (chunk_size_ == 0) {
            // The last chunk: the trailer section follows, read as a header section with its own limits.
            in_trailers_ = true;
            head_bytes_ = 0;
            fields_ = 0;
            phase_ = Phase::FieldStart;
            ++p;
            return Event::More;
          }
          received_ += chunk_size_;
          remaining_ = chunk_size_;
          phase_ = Phase::ChunkData;
          break;
        case Phase::ChunkDataCR:
          if (c != '\r') return fail(400, "no CRLF after chunk data");
          phase_ = Phase::ChunkDataLF;
          break;
        case Phase::ChunkDataLF:
          if (c != '\n') return fail(400, "no CRLF after chunk data");
          phase_ = Phase::ChunkSizeStart;
          break;
        default:
          return fail(400, "framing read two ways");  // Done, or a head phase: a bug, refused
      }
    }
    return Event::More;
  }

  RequestLimits limits_;
  Phase phase_ = Phase::Start;
  bool in_trailers_ = false;
  std::size_t head_bytes_ = 0;
  std::size_t target_bytes_ = 0;
  std::size_t fields_ = 0;
  std::array<char, 8> version_{};
  std::size_t version_length_ = 0;
  std::uint64_t remaining_ = 0;  // of the Content-Length body, or of the current chunk
  std::uint64_t chunk_size_ = 0;
  std::uint64_t received_ = 0;  // chunk sizes declared so far
  std::size_t chunk_line_bytes_ = 0;
  RequestError error_;
};

// decode_path percent-decodes the path of an origin-form target, or says why it cannot.
bool decode_path(std::string_view encoded, std::string& path, std::string& reason) {
  if (encoded.find('%') == std::string_view::npos) {
    path.assign(encoded);
    return true;
  }
  path.clear();
  path.reserve(encoded.size());
  while (!encoded.empty()) {
    const std::size_t percent = encoded.find('%');
    path.append(encoded.substr(0, percent));
    if (percent == std::string_view::npos) break;
    const int high =
        percent + 1 < encoded.size() ? hex_value(static_cast<unsigned char>(encoded[percent + 1])) : -1;
    const int low =
        percent + 2 < encoded.size() ? hex_value(static_cast<unsigned char>(encoded[percent + 2])) : -1;
    if (high < 0 || low < 0) {
      reason = "a malformed %-escape in the path";
      return false;
    }
    if (high == 0 && low == 0) {
      reason = "%00 in the path";
      return false;
    }
    path += static_cast<char>(high * 16 + low);
    encoded.remove_prefix(percent + 3);
  }
  return true;
}

}  // namespace

class RequestParser::Impl {
 public:
  explicit Impl(RequestLimits limits) : limits_(limits), scanner_(limits_) { start(); }

  std::size_t feed(std::string_view bytes) {
    if (state_ == State::Complete || state_ == State::Failed) return 0;
    std::size_t consumed = 0;
    while (consumed < bytes.size()) {
      const FrameScanner::Step step = scanner_.scan(bytes.substr(consumed));
      if (step.length > 0) {
        const std::size_t used = execute(bytes.data() + consumed, step.length);
        if (state_ == State::Failed) return consumed + used;
      }
      consumed += step.length;
      switch (step.event) {
        case FrameScanner::Event::Error:
          fail(scanner_.error().status, scanner_.error().reason);
          return consumed;
        case FrameScanner::Event::HeadEnd:
          if (!headers_complete_) return disagree(consumed);
          scanner_.begin_body(framing_, content_length_);
          if (framing_ == Framing::None || (framing_ == Framing::Length && content_length_ == 0)) {
            return finish(consumed);
          }
          break;
        case FrameScanner::Event::MessageEnd:
          return finish(consumed);
        case FrameScanner::Event::More:
          break;
      }
    }
    if (message_complete_) return disagree(consumed);
    state_ = scanner_.idle() ? State::Idle : scanner_.in_body() ? State::Body : State::Head;
    return consumed;
  }

  State state() const { return state_; }
  const Request& head() const { return request_; }
  const RequestError& error() const { return error_; }

  Request take() {
    Request request = std::move(request_);
    request.body = std::move(body_);
    start();
    return request;
  }

 private:
  void start() {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    scanner_.reset();
    request_ = Request{};
    request_.headers.reserve(16);
    body_.clear();
    in_name_ = false;
    headers_complete_ = false;
    message_complete_ = false;
    framing_ = Framing::None;
    content_length_ = 0;
    state_ = State::Idle;
  }

  void fail(int status, std::string reason) {
    if (state_ == State::Failed) return;  // the first reason is the one to report
    state_ = State::Failed;
    error_ = {status, std::move(reason)};
  }

  std::size_t disagree(std::size_t consumed) {
    fail(400, "framing read two ways");
    return consumed;
  }

  std::size_t finish(std::size_t consumed) {
    if (!message_complete_) return disagree(consumed);
    state_ = State::Complete;
    return consumed;
  }

  // execute gives http_parser bytes FrameScanner accepted: it must take them all, or have a reason not to.
  std::size_t execute(const char* data, std::size_t length) {
    const std::size_t used = http_parser_execute(&parser_, &kSettings, data, length);
    if (state_ == State::Failed) return used;  // a check in a callback
    const auto error = HTTP_PARSER_ERRNO(&parser_);
    if (error != HPE_OK && error != HPE_PAUSED) {
      fail_from_http_parser(error);
    } else if (used != length) {
      disagree(0);
    }
    return used;
  }

  // fail_from_http_parser names what http_parser refused that FrameScanner's grammar allows.
  void fail_from_http_parser(http_errno error) {
    switch (error) {
      case HPE_INVALID_METHOD:
        // 501, not 400: the method is a well-formed token (FrameScanner checked) that krtool does not
        // know, which RFC 9110 §9.1 answers with 501 Not Implemented.
        return fail(501, "unknown method");
      case HPE_INVALID_URL:
        return fail(400, "invalid request target");
      case HPE_HEADER_OVERFLOW:
        return fail(431, "request head over http_parser's limit");
      case HPE_INVALID_CONTENT_LENGTH:
        return fail(400, "invalid Content-Length");
      case HPE_UNEXPECTED_CONTENT_LENGTH:
        if (headers_complete_) return fail(400, "two Content-Length trailer fields");
        return fail(400, has_header("Transfer-Encoding") ? "Transfer-Encoding together with Content-Length"
                                                         : "two Content-Length headers");
      case HPE_INVALID_TRANSFER_ENCODING:
        return fail(400, "final transfer coding is not chunked");
      case HPE_INVALID_CHUNK_SIZE:
        return fail(400, "bad chunk size");
      default:
        return fail(400, std::string("malformed request: ") + http_errno_description(error));
    }
  }

  bool has_header(std::string_view name) const {
    return std::any_of(request_.headers.begin(), request_.headers.end(),
                       [&](const auto& header) { return util::equals_ignoring_case(header.first, name); });
  }

  static Impl& of(http_parser* parser) { return *static_cast<Impl*>(parser->data); }

  // The callbacks. Header names and values can arrive in pieces; a name after a value starts a header.
  // Trailer fields are read (and checked) but not kept: RFC 9110 §6.5.1 forbids merging them into the
  // header section, and no handler asks for them.
  static const http_parser_settings kSettings;

  int on_header_field(const char* at, std::size_t length) {
    if (headers_complete_) return 0;
    if (!in_name_) request_.headers.emplace_back();
    in_name_ = true;
    request_.headers.back().first.append(at, length);
    return 0;
  }

  int on_header_value(const char* at, std::size_t length) {
    in_name_ = false;
    if (headers_complete_ || request_.headers.empty()) return 0;
    request_.headers.back().second.append(at, length);
    return 0;
  }

  int on_headers_complete() {
    headers_complete_ = true;
    in_name_ = false;
    for (auto& header : request_.headers) {
      const std::size_t end = header.second.find_last_not_of(" \t");
      header.second.resize(end == std::string::npos ? 0
                                                    : end + 1);  // trailing OWS; http_parser drops leading
    }
    request_.method = http_method_str(static_cast<http_method>(parser_.method));
    request_.version_minor = std::min(scanner_.version_minor(), 1);
    if (std::string reason; !check_head(reason)) {
      fail(reason_status_, std::move(reason));
      return -1;
    }
    return 0;
  }

  // check_head applies the rules that need the whole head: framing, Host, the target's form, the limits
  // on the declared body; it sets reason_status_ with the reason.
  bool check_head(std::string& reason) {
    reason_status_ = 400;
    const bool http11 = request_.version_minor >= 1;
    if (parser_.method == HTTP_CONNECT) {
      reason_status_ = 501;
      reason = "CONNECT is not supported";
      return false;
    }

    int hosts = 0;
    int content_lengths = 0;
    bool close = false;
    bool keep_alive = false;
    bool transfer_encoding = false;
    std::string_view final_coding;
    int chunked = 0;
    std::string_view other_coding;
    for (const auto& [name, value] : request_.headers) {
      if (util::equals_ignoring_case(name, "Host")) {
        ++hosts;
        const bool valid = std::all_of(value.begin(), value.end(),
                                       [](char c) { return is(static_cast<unsigned char>(c), kHostChar); });
        if (!valid) return (reason = "invalid Host header", false);
      } else if (util::equals_ignoring_case(name, "Content-Length")) {
        ++content_lengths;
      } else if (util::equals_ignoring_case(name, "Transfer-Encoding")) {
        transfer_encoding = true;
        for_each_list_element(value, [&](std::string_view coding) {
          final_coding = coding;
          if (util::equals_ignoring_case(coding, "chunked")) {
            ++chunked;
          } else if (other_coding.empty()) {
            other_coding = coding;
          }
        });
      } else if (util::equals_ignoring_case(name, "Connection")) {
        for_each_list_element(value, [&](std::string_view option) {
          close = close || util::equals_ignoring_case(option, "close");
          keep_alive = keep_alive || util::equals_ignoring_case(option, "keep-alive");
        });
      } else if (util::equals_ignoring_case(name, "Expect")) {
        // RFC 9110 §10.1.1: a server ignores 100-continue from an HTTP/1.0 client.
        request_.expects_continue = http11 && util::equals_ignoring_case(trim_ows(value), "100-continue");
      }
    }
    request_.keep_alive = !close && (http11 || keep_alive);

    if (hosts > 1) return (reason = "more than one Host header", false);
    if (hosts == 0 && http11) return (reason = "no Host header in an HTTP/1.1 request", false);
    if (content_lengths > 1) return (reason = "two Content-Length headers", false);
    if (transfer_encoding) {
      if (content_lengths > 0) return (reason = "Transfer-Encoding together with Content-Length", false);
      // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      if (!http11) return (reason = "Transfer-Encoding in an HTTP/1.0 request", false);
      if (!util::equals_ignoring_case(final_coding, "chunked")) {
        return (reason = "final transfer coding is not chunked", false);
      }
      if (chunked > 1) return (reason = "chunked applied twice", false);
      if (!other_coding.empty()) {
        reason_status_ = 501;
        reason = "transfer coding " + std::string(other_coding) + " is not supported";
        return false;
      }
    }
    if (!check_target(reason)) return false;

    if ((parser_.flags & F_CHUNKED) != 0) {
      framing_ = Framing::Chunked;
    } else if ((parser_.flags & F_CONTENTLENGTH) != 0) {
      framing_ = Framing::Length;
      content_length_ = parser_.content_length;
      if (content_length_ > limits_.max_body_bytes) {
        reason_status_ = 413;
        reason = "Content-Length " + std::to_string(content_length_) + " over the limit of " +
                 std::to_string(limits_.max_body_bytes) + " bytes";
        return false;
      }
      // Reserved up to a bound: a declared length is only a promise, and 256 clients promising 8 MB
      // each must not cost 2 GB before they send a byte.
      body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(content_length_, 64 * 1024)));
    }
    if ((framing_ == Framing::Chunked) != transfer_encoding) {
      return (reason = "an ambiguous Transfer-Encoding", false);  // http_parser read the codings otherwise
    }
    return true;
  }

  // check_target accepts origin-form ("/a?b"), absolute-form ("http://host/a?b", path "/a") and "*" for
  // OPTIONS (RFC 9112 §3.2), and decodes the path.
  bool check_target(std::string& reason) {
    std::string_view target = request_.target;
    if (target.find('#') != std::string_view::npos)
      return (reason = "a fragment in the request target", false);
    if (target == "*") {
      if (parser_.method != HTTP_OPTIONS) return (reason = "target * without OPTIONS", false);
      request_.path = "*";
      return true;
    }
    if (target.empty() || target.front() != '/') {
      std::size_t scheme = 0;
      if (util::starts_with_ignoring_case(target, "http://")) scheme = 7;
      if (util::starts_with_ignoring_case(target, "https://")) scheme = 8;
      if (scheme == 0) return (reason = "request target is not origin-form or absolute-form", false);
      target.remove_prefix(scheme);
      const std::size_t path = std::min(target.find('/'), target.find('?'));
      if (path == 0) return (reason = "no host in an absolute-form target", false);
      target.remove_prefix(std::min(path, target.size()));
      if (target.empty() || target.front() != '/') {
        // "http://host" or "http://host?q": the path is "/" (RFC 9112 §3.2.1)
        return decode_path("/", request_.path, reason);
      }
    }
    return decode_path(target.substr(0, target.find('?')), request_.path, reason);
  }

  int on_message_complete() {
    message_complete_ = true;
    http_parser_pause(&parser_, 1);  // pipelined bytes stay unread until take()
    return 0;
  }

  RequestLimits limits_;
  FrameScanner scanner_;
  http_parser parser_{};
  State state_ = State::Idle;
  Request request_;
  std::string body_;

  // append_body grows the body by doubling, as std::string does, but never past the body limit: a body
  // just under 8 MiB would otherwise hold a 15 MiB buffer.
  void append_body(const char* at, std::size_t length) {
    const std::size_t needed = body_.size() + length;
    if (needed > body_.capacity()) {
      body_.reserve(std::max(needed, std::min(body_.capacity() * 2, limits_.max_body_bytes)));
    }
    body_.append(at, length);
  }
  RequestError error_;
  int reason_status_ = 400;
  bool in_name_ = false;
  bool headers_complete_ = false;
  bool message_complete_ = false;
  Framing framing_ = Framing::None;
  std::uint64_t content_length_ = 0;
};

const http_parser_settings RequestParser::Impl::kSettings = [] {
  http_parser_settings settings{};
  settings.on_url = [](http_parser* parser, const char* at, std::size_t length) {
    of(parser).request_.target.append(at, length);
    return 0;
  };
  settings.on_header_field = [](http_parser* parser, const char* at, std::size_t length) {
    return of(parser).on_header_field(at, length);
  };
  settings.on_header_value = [](http_parser* parser, const char* at, std::size_t length) {
    return of(parser).on_header_value(at, length);
  };
  settings.on_headers_complete = [](http_parser* parser) { return of(parser).on_headers_complete(); };
  settings.on_body = [](http_parser* parser, const char* at, std::size_t length) {
    of(parser).append_body(at, length);
    return 0;
  };
  settings.on_message_complete = [](http_parser* parser) { return of(parser).on_message_complete(); };
  return settings;
}();

RequestParser::RequestParser(RequestLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
RequestParser::~RequestParser() = default;
std::size_t RequestParser::feed(std::string_view bytes) { return impl_->feed(bytes); }
RequestParser::State RequestParser::state() const { return impl_->state(); }
const Request& RequestParser::head() const { return impl_->head(); }
Request RequestParser::take() { return impl_->take(); }
const RequestError& RequestParser::error() const { return impl_->error(); }

namespace {

// http_date is the Date header's value (RFC 9110 §6.6.1: an origin server with a clock sends one),
// formatted once per second per thread, not per response; by hand, because strftime's %a and %b follow
// the locale.
std::string_view http_date() {
  constexpr std::string_view kDays = "SunMonTueWedThuFriSat";
  constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  thread_local std::time_t cached_second = -1;
  thread_local std::array<char, 29> text{};  // "Sun, 06 Nov 1994 08:49:37 GMT"
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    const auto two = [](char* at, int value) {
      at[0] = static_cast<char>('0' + value / 10 % 10);
      at[1] = static_cast<char>('0' + value % 10);
    };
    char* at = text.data();
    kDays.copy(at, 3, static_cast<std::size_t>(utc.tm_wday) * 3);
    at[3] = ',';
    at[4] = ' ';
    two(at + 5, utc.tm_mday);
    at[7] = ' ';
    kMonths.copy(at + 8, 3, static_cast<std::size_t>(utc.tm_mon) * 3);
    at[11] = ' ';
    const int year = utc.tm_year + 1900;
    two(at + 12, year / 100);
    two(at + 14, year % 100);
    at[16] = ' ';
    two(at + 17, utc.tm_hour);
    at[19] = ':';
    two(at + 20, utc.tm_min);
    at[22] = ':';
    two(at + 23, utc.tm_sec);
    std::string_view(" GMT").copy(at + 25, 4);
    cached_second = now;
  }
  return {text.data(), text.size()};
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return is(static_cast<unsigned char>(c), kToken); });
}

bool is_field_value(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is(static_cast<unsigned char>(c), kFieldValue); });
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void append_number(std::string& out, std::uint64_t number) {
  std::array<char, 20> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), number);
  out.append(digits.data(), result.ptr);
}

}  // namespace

std::string serialize_response(const Response& response, bool keep_alive, bool head_request) {
  const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  // RFC 9110 §6.4.1: 1xx, 204 and 304 have no body and no Content-Length.
  const bool bodyless_status = status < 200 || status == 204 || status == 304;
  const bool send_body = !bodyless_status && !head_request;

  std::size_t size = 128 + (send_body ? response.body.size() : 0);
  for (const auto& [name, value] : response.headers) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::uint64_t>(status));
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";

  bool has_date = false;
  std::string_view head_length;  // a HEAD answer's own Content-Length, when the handler gave no body
  for (const auto& [name, value] : response.headers) {
    // A header whose name is not a token or whose value holds CR, LF, NUL or another control character is
    // dropped, not sent and not refused: it comes from a handler (a redirect built from a decoded path, a
    // proxied upstream's header), the answer is still worth sending, and dropping it means no byte of it
    // can start a header or a response of its own.
    if (!is_token(name) || !is_field_value(value)) continue;
    // The framing is this function's: a handler's Content-Length, Transfer-Encoding or Connection would
    // contradict the one written here, and two Content-Lengths are what a smuggling attack looks like.
    if (util::equals_ignoring_case(name, "Content-Length")) {
      if (head_request && response.body.empty() && is_digits(value)) head_length = value;
      continue;
    }
    if (util::equals_ignoring_case(name, "Transfer-Encoding") ||
        util::equals_ignoring_case(name, "Connection")) {
      continue;
    }
    has_date = has_date || util::equals_ignoring_case(name, "Date");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!has_date) {
    out += "Date: ";
    out += http_date();
    out += "\r\n";
  }
  if (!bodyless_status) {
    // For HEAD, the length GET would have sent (RFC 9110 §9.3.2): the body's, or the handler's own
    // Content-Length when it answered HEAD without producing the body.
    out += "Content-Length: ";
    if (!head_length.empty()) {
      out += head_length;
    } else {
      append_number(out, response.body.size());
    }
    out += "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (send_body) out += response.body;
  return out;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace krtool::server::http1
