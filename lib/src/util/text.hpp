// Small text helpers that several parts of the library share. Private to the libraries.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace krtool::util {

// lower folds ASCII letters to lower case: flag values, header names and scheme names are compared
// case-insensitively, and never by locale.
// All of krtool's case folding goes through these, so that it is ASCII-only everywhere.
inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lower(c); });
  return out;
}

// upper folds to upper case, for names that are spelled upper-case (DN keys, HTTP methods).
inline std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return upper(c); });
  return out;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

inline bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equals_ignoring_case(text.substr(0, prefix.size()), prefix);
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
