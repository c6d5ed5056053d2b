#include "util/text.hpp"

#include <catch2/catch.hpp>

using krtool::util::escape_c1_in_json;
using krtool::util::escape_controls;

TEST_CASE("escape_controls writes C0 controls and DEL as \\xHH and leaves printable text", "[util][text]") {
  CHECK(escape_controls("CN=alice") == "CN=alice");
  CHECK(escape_controls("a\r\nb\x7f") == "a\\x0D\\x0Ab\\x7F");
  CHECK(escape_controls(std::string_view("\0x", 2)) == "\\x00x");
}

TEST_CASE("escape_controls escapes C1 controls in UTF-8 and as lone bytes, keeping other UTF-8",
          "[util][text]") {
  // U+009B (CSI) in UTF-8, then "31m": a terminal would turn the rest red.
  CHECK(escape_controls("CN=\xC2\x9B"
                        "31mred") == "CN=\\xC2\\x9B31mred");
  CHECK(escape_controls("\xC2\x85") == "\\xC2\\x85");  // NEL, a line break to some readers
  CHECK(escape_controls("caf\xC3\xA9 \xC2\xA0 \xE2\x82\xAC") == "caf\xC3\xA9 \xC2\xA0 \xE2\x82\xAC");
  CHECK(escape_controls("x\x9By") == "x\\x9By");              // Latin-1 CSI
  CHECK(escape_controls("\xC3\xA9\x9B") == "\xC3\xA9\\x9B");  // a stray C1 byte after a full sequence
  CHECK(escape_controls("\xFF\xA0") == "\xFF\xA0");  // not controls, not UTF-8: left for JSON's U+FFFD
  CHECK(escape_controls("\xC2") == "\xC2");          // truncated at the end
}

TEST_CASE("escape_c1_in_json writes C1 controls as \\u escapes", "[util][text]") {
  CHECK(escape_c1_in_json("{\"s\":\"a\xC2\x9B"
                          "b\xC2\xA0\"}") == "{\"s\":\"a\\u009bb\xC2\xA0\"}");
}
