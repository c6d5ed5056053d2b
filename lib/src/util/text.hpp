// Small text helpers that several parts of the library share. Private to the libraries.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "krtool/util/ascii.hpp"

namespace krtool::util {

// utf8_sequence_length returns the length of the well-formed UTF-8 sequence at text[i], or 0.
inline size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                        : lead >= 0xE0 && lead <= 0xEF ? 3
                        : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                       : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto byte = static_cast<unsigned char>(text[i + k]);
    if (byte < 0x80 || byte > 0xBF) return 0;
  }
  return length;
}

// escape_controls writes control characters as \xHH, so that text from the network (a certificate's
// subject, a decoded path) stays on its line and cannot drive the terminal: a line break in a CN must
// not start a log line or a header of its own. That covers C0 (below 0x20), DEL, and C1 (U+0080 to
// U+009F, such as CSI, which terminals obey as ESC [): their UTF-8 bytes, or a lone byte 0x80-0x9F
// that is not part of a UTF-8 sequence, are escaped byte by byte.
inline std::string escape_controls(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  auto escape = [&out, kHex](unsigned char byte) {
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7f) {
        escape(byte);
      } else {
        out += static_cast<char>(byte);
      }
      continue;
    }
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      // Not UTF-8: a lone 0x80-0x9F is a C1 control to a Latin-1 terminal; other bytes are left.
      if (byte <= 0x9F) {
        escape(byte);
      } else {
        out += static_cast<char>(byte);
      }
    } else if (byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      escape(byte);  // U+0080 to U+009F
      escape(static_cast<unsigned char>(text[i + 1]));
    } else {
      out.append(text.substr(i, length));
    }
    i += length == 0 ? 0 : length - 1;
  }
  return out;
}

// escape_c1_in_json writes the C1 controls of a JSON text that is valid UTF-8 as \u0080 ... \u009F,
// which JSON allows anywhere and nlohmann::json leaves raw. Their UTF-8 form (0xC2 0x80-0x9F) can only
// stand inside strings, so a plain replacement is safe.
inline std::string escape_c1_in_json(std::string_view json) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    const auto next = i + 1 < json.size() ? static_cast<unsigned char>(json[i + 1]) : 0;
    if (static_cast<unsigned char>(json[i]) == 0xC2 && next >= 0x80 && next <= 0x9F) {
      out += "\\u00";
      out += kHex[next >> 4];
      out += kHex[next & 0xF];
      ++i;
    } else {
      out += json[i];
    }
  }
  return out;
}

// escape_quotes puts a backslash before '"' and '\', for a value written between double quotes.
inline std::string escape_quotes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace krtool::util
