#include "krtool/util/password.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "krtool/error.hpp"
#include "support/temp_dir.hpp"

using krtool::PasswordSource;
using krtool::read_password;

TEST_CASE("each password source gives its password", "[util][password]") {
  krtool::test::TempDir dir;
  std::ofstream(dir / "pw") << "from-file\r\nsecond line\n";
  ::setenv("KRTOOL_TEST_PW", "from-env", 1);
  CHECK(read_password(PasswordSource::value("v")) == "v");
  CHECK(read_password(PasswordSource::file((dir / "pw").string())) == "from-file");
  CHECK(read_password(PasswordSource::env("KRTOOL_TEST_PW")) == "from-env");
  CHECK(read_password(PasswordSource::empty()) == "");
  CHECK_FALSE(read_password(PasswordSource{}).has_value());
}

TEST_CASE("an unset variable and a missing file are errors that name the source", "[util][password]") {
  ::unsetenv("KRTOOL_TEST_UNSET");
  try {
    read_password(PasswordSource::env("KRTOOL_TEST_UNSET"));
    FAIL("accepted an unset variable");
  } catch (const krtool::Error& e) {
    CHECK(e.code() == krtool::Errc::Usage);
    CHECK(std::string(e.what()).find("KRTOOL_TEST_UNSET") != std::string::npos);
  }
  CHECK_THROWS_AS(read_password(PasswordSource::file("/nonexistent/pw")), krtool::Error);
}
