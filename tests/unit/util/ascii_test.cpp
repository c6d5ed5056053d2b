#include "krtool/util/ascii.hpp"

#include <catch2/catch.hpp>
#include <clocale>

using krtool::util::equals_ignoring_case;
using krtool::util::lower;
using krtool::util::starts_with_ignoring_case;
using krtool::util::upper;

TEST_CASE("ASCII case folding folds A-Z only and leaves every other byte as it is", "[util][ascii]") {
  CHECK(lower("Content-Length: 5") == "content-length: 5");
  CHECK(upper("cn=alice@example.com") == "CN=ALICE@EXAMPLE.COM");
  // Bytes of UTF-8 and Latin-1 letters are negative chars: std::tolower would be undefined for them,
  // and locale-dependent if it were not.
  CHECK(lower("\xC3\x89T\xC9") == "\xC3\x89t\xC9");
  CHECK(upper("\xC3\xA9t\xE9") == "\xC3\xA9T\xE9");
  CHECK(lower('@') == '@');
  CHECK(lower('[') == '[');
  CHECK(upper('`') == '`');
  CHECK(upper('{') == '{');
}

TEST_CASE("Case-insensitive comparison ignores ASCII case only, whatever the locale", "[util][ascii]") {
  // A UTF-8 locale, where present, must not change the answer.
  const char* previous = std::setlocale(LC_CTYPE, nullptr);
  const std::string restore = previous != nullptr ? previous : "C";
  std::setlocale(LC_CTYPE, "C.UTF-8");
  CHECK(equals_ignoring_case("Keep-Alive", "keep-ALIVE"));
  CHECK_FALSE(equals_ignoring_case("keep-alive", "keep-alivE "));
  CHECK_FALSE(equals_ignoring_case("caf\xC3\xA9", "CAF\xC3\x89"));  // é and É are not ASCII
  CHECK(starts_with_ignoring_case("Bearer token", "bearer "));
  CHECK_FALSE(starts_with_ignoring_case("Bear", "bearer"));
  std::setlocale(LC_CTYPE, restore.c_str());
}
