// Small text helpers that several parts of the library share. Private to the libraries.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace krtool::util {

// lower folds ASCII letters to lower case: flag values, header names and scheme names are compared
// case-insensitively, and never by locale.
inline std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// escape_controls writes control characters as \xHH, so that text from the network (a certificate's
// subject, a decoded path) stays on its line: a line break in a CN must not start a log line or a
// header of its own.
inline std::string escape_controls(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
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
