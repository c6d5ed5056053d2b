// is_token tells whether text is an RFC 9110 token (section 5.6.2): what a method or a header name must
// be, so that neither can carry a space, a colon or a line break into a request. The proxy checks what
// clients send with it, and the HTTP client what it is asked to send.
#pragma once

#include <algorithm>
#include <string_view>

namespace krtool::http {

inline bool is_token(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

}  // namespace krtool::http
