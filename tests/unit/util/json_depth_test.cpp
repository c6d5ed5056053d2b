#include "util/json_depth.hpp"

#include <catch2/catch.hpp>
#include <string>

using krtool::util::json_too_deep;
using krtool::util::kMaxJsonDepth;

namespace {
std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST_CASE("json_too_deep accepts nesting up to the limit and names where it is passed", "[util][json]") {
  CHECK_FALSE(json_too_deep(nested(kMaxJsonDepth), false));
  const auto deep = json_too_deep("{\n  \"a\": " + nested(kMaxJsonDepth), false);
  REQUIRE(deep);
  CHECK(deep->line == 2);
  CHECK(deep->column == 8 + kMaxJsonDepth - 1);
}

TEST_CASE("json_too_deep does not count brackets in strings or comments", "[util][json]") {
  const std::string brackets(200, '[');
  CHECK_FALSE(json_too_deep("{\"s\": \"" + brackets + "\\\"" + brackets + "\"}", false));
  CHECK_FALSE(json_too_deep("// " + brackets + "\n/* " + brackets + " */ {}", true));
  // Without comment support the same text counts its brackets.
  CHECK(json_too_deep("// " + brackets + "\n{}", false));
}
