// The development root that stays: made once under KRTOOL_CAROOT, private, reused, replaced only on
// request, and made once even when two commands start at the same moment.
#include "krtool/cert/dev_root.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <string>

#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"

using namespace krtool::cert;
namespace fs = std::filesystem;

namespace {

// A process that runs the unit tests outside ctest still never writes the user's development root.
const bool kCarootInBuildTree = [] {
  ::setenv("KRTOOL_CAROOT", KRTOOL_TEST_TMP "/caroot", /*overwrite=*/0);
  return true;
}();

// FreshCaroot points KRTOOL_CAROOT at a new, not yet existing folder for one test, and back after.
class FreshCaroot {
 public:
  FreshCaroot() {
    fs::create_directories(KRTOOL_TEST_TMP);
    std::string pattern = std::string(KRTOOL_TEST_TMP) + "/devroot.XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    parent_ = pattern;
    folder_ = parent_ / "caroot";
    const char* old = std::getenv("KRTOOL_CAROOT");
    old_ = old != nullptr ? old : "";
    ::setenv("KRTOOL_CAROOT", folder_.c_str(), 1);
  }
  ~FreshCaroot() {
    ::setenv("KRTOOL_CAROOT", old_.c_str(), 1);
    std::error_code ignored;
    fs::remove_all(parent_, ignored);
  }
  const fs::path& folder() const { return folder_; }

 private:
  fs::path parent_, folder_;
  std::string old_;
};

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

}  // namespace

TEST_CASE("the development root is made on first use in a private folder and reused after",
          "[cert][devroot]") {
  const FreshCaroot caroot;
  CHECK(development_root_folder() == caroot.folder());
  const DevelopmentRoot first = development_root({});
  CHECK(first.created);
  CHECK(mode_of(caroot.folder()) == 0700);
  CHECK(mode_of(caroot.folder() / "root-ca.key") == 0600);
  const DevelopmentRoot second = development_root({});
  CHECK_FALSE(second.created);
  CHECK(thumbprint(second.root.certificate.get()) == thumbprint(first.root.certificate.get()));
  CHECK(describe(second.root.certificate.get()).subject == "CN=krtool Development Root CA");
}

TEST_CASE("a new root replaces the stored one and keeps the old beside it", "[cert][devroot]") {
  const FreshCaroot caroot;
  const DevelopmentRoot first = development_root({});
  DevelopmentRootOptions replace;
  replace.new_root = true;
  const DevelopmentRoot second = development_root(replace);
  CHECK(second.created);
  CHECK(thumbprint(second.root.certificate.get()) != thumbprint(first.root.certificate.get()));
  REQUIRE(second.kept.has_value());
  CHECK(fs::exists(*second.kept));
  CHECK(thumbprint(development_root({}).root.certificate.get()) == thumbprint(second.root.certificate.get()));
}

TEST_CASE("two first uses at the same moment make one root", "[cert][devroot]") {
  const FreshCaroot caroot;
  auto a =
      std::async(std::launch::async, [] { return thumbprint(development_root({}).root.certificate.get()); });
  auto b =
      std::async(std::launch::async, [] { return thumbprint(development_root({}).root.certificate.get()); });
  CHECK(a.get() == b.get());
}

TEST_CASE("a root of another name is an error that names --new-root, not a silent surprise",
          "[cert][devroot]") {
  const FreshCaroot caroot;
  development_root({});
  DevelopmentRootOptions other;
  other.name = "Acme Dev Root";
  other.name_given = true;
  try {
    development_root(other);
    FAIL("expected an error");
  } catch (const krtool::Error& e) {
    CHECK(e.code() == krtool::Errc::Usage);
    CHECK_THAT(e.hint(), Catch::Contains("--new-root"));
  }
}

TEST_CASE("a development root folder that others can read is refused", "[cert][devroot]") {
  const FreshCaroot caroot;
  fs::create_directories(caroot.folder());
  ::chmod(caroot.folder().c_str(), 0755);
  CHECK_THROWS_WITH(development_root({}), Catch::Contains("is not private to you"));
  CHECK_FALSE(fs::exists(caroot.folder() / "root-ca.key"));
}

TEST_CASE("half a root (a certificate without its key) is an error that names --new-root",
          "[cert][devroot]") {
  const FreshCaroot caroot;
  development_root({});
  fs::remove(caroot.folder() / "root-ca.key");
  try {
    development_root({});
    FAIL("expected an error");
  } catch (const krtool::Error& e) {
    CHECK(e.code() == krtool::Errc::Input);
    CHECK_THAT(e.hint(), Catch::Contains("--new-root"));
  }
  DevelopmentRootOptions replace;
  replace.new_root = true;
  CHECK(development_root(replace).created);
}
