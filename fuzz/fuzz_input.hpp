// What every fuzz target shares: the bytes as text, and the rule that a parser may reject its input
// only with krtool::Error. Any other exception escapes LLVMFuzzerTestOneInput, aborts, and libFuzzer
// keeps the input as a crash: krtool's commands would print it as an internal error, not as a
// message about the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "krtool/error.hpp"

namespace krtool::fuzz {

inline std::string_view text_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// rejecting runs `parse`; an Error is the parser saying no, which is what it must do with bad bytes.
template <typename Parse>
void rejecting(Parse&& parse) {
  try {
    parse();
  } catch (const krtool::Error&) {
  }
}

}  // namespace krtool::fuzz
