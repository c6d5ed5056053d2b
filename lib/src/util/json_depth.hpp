// A nesting limit for every JSON document krtool reads (serve --config, JSON templates). Deep nesting
// is never needed there, and code that walks a document (rendering a template, destroying it) recurses:
// 50,000 levels overflowed the stack. Checked on the text before parsing, so the error can say where.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace krtool::util {

inline constexpr size_t kMaxJsonDepth = 64;

struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};

// json_too_deep returns where `text` first opens more than kMaxJsonDepth arrays and objects inside one
// another, or nullopt. Brackets inside strings, and inside // and /* */ comments when `comments`, do
// not count.
inline std::optional<TextPosition> json_too_deep(std::string_view text, bool comments) {
  size_t depth = 0;
  TextPosition at;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
        ++at.column;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (comments && c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*')) {
      const bool line_comment = text[i + 1] == '/';
      const size_t end = line_comment ? text.find('\n', i) : text.find("*/", i + 2);
      const size_t stop = end == std::string_view::npos ? text.size() : end + (line_comment ? 0 : 2);
      for (; i < stop; ++i) {
        if (text[i] == '\n') {
          ++at.line;
          at.column = 1;
        } else {
          ++at.column;
        }
      }
      --i;
      continue;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return at;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
    if (c == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
  }
  return std::nullopt;
}

}  // namespace krtool::util
