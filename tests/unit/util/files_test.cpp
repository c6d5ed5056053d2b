#include "krtool/util/files.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "krtool/error.hpp"
#include "support/temp_dir.hpp"

using krtool::Errc;
using krtool::files::FileMode;
using krtool::files::OutputSet;
using krtool::files::read_file;
using krtool::files::write_file;

namespace {
unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}
Errc code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const krtool::Error& e) {
    return e.code();
  }
  return Errc::Internal;
}
}  // namespace

TEST_CASE("private files are written 0600 and public ones 0644", "[util][files]") {
  krtool::test::TempDir dir;
  write_file(dir / "a.key", "secret", FileMode::Private, false, "key");
  write_file(dir / "a.pem", "public", FileMode::Public, false, "certificate");
  CHECK(mode_of(dir / "a.key") == 0600);
  CHECK(mode_of(dir / "a.pem") == 0644);
  CHECK(read_file(dir / "a.key", "key") == "secret");
}

TEST_CASE("an existing file is not overwritten without force and stays as it was", "[util][files]") {
  krtool::test::TempDir dir;
  write_file(dir / "a.pem", "first", FileMode::Public, false, "certificate");
  CHECK(code_of([&] { write_file(dir / "a.pem", "second", FileMode::Public, false, "certificate"); }) ==
        Errc::Usage);
  CHECK(read_file(dir / "a.pem", "certificate") == "first");
  write_file(dir / "a.pem", "second", FileMode::Public, true, "certificate");
  CHECK(read_file(dir / "a.pem", "certificate") == "second");
}

TEST_CASE("an output set writes nothing when any one output is refused", "[util][files]") {
  krtool::test::TempDir dir;
  write_file(dir / "b.key", "old key", FileMode::Private, false, "key");
  OutputSet set(false);
  set.add(dir / "b.pem", "cert", FileMode::Public, "certificate");
  set.add(dir / "b.key", "new key", FileMode::Private, "key");
  CHECK(code_of([&] { set.commit(); }) == Errc::Usage);
  CHECK_FALSE(std::filesystem::exists(dir / "b.pem"));
  CHECK(read_file(dir / "b.key", "key") == "old key");
}

TEST_CASE("a missing output folder is bad input and leaves no temporary file", "[util][files]") {
  krtool::test::TempDir dir;
  CHECK(code_of([&] { write_file(dir / "nope" / "a.pem", "x", FileMode::Public, false, "certificate"); }) ==
        Errc::Input);
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 0);
}

TEST_CASE("the same output twice in one set is refused", "[util][files]") {
  krtool::test::TempDir dir;
  OutputSet set(true);
  set.add(dir / "a.pem", "1", FileMode::Public, "certificate");
  set.add(dir / "./a.pem", "2", FileMode::Public, "certificate");
  CHECK(code_of([&] { set.check(); }) == Errc::Usage);
}

TEST_CASE("reading a missing file or a folder is bad input with a hint", "[util][files]") {
  krtool::test::TempDir dir;
  try {
    read_file(dir / "missing.pfx", "certificate");
    FAIL("read a missing file");
  } catch (const krtool::Error& e) {
    CHECK(e.code() == Errc::Input);
    CHECK(std::string(e.what()).find("missing.pfx") != std::string::npos);
    CHECK_FALSE(e.hint().empty());
  }
  CHECK(code_of([&] { read_file(dir.path(), "certificate"); }) == Errc::Input);
}

TEST_CASE("sibling_path replaces the extension", "[util][files]") {
  CHECK(krtool::files::sibling_path("out/alice.pem", ".key") == "out/alice.key");
  CHECK(krtool::files::sibling_path("alice", ".key") == "alice.key");
}
