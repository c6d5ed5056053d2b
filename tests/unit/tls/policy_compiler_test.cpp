// The policy compiler: how code becomes a policy (body or whole file, .so as is), the cache and its
// safety rules, and the errors a user sees. Each test has its own cache folder.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "unit/tls/validation_fixtures.hpp"

namespace krtool::test {
namespace {

namespace fs = std::filesystem;

size_t line_count(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) ++lines;
  return lines;
}

bool accepts_alice(const tls::LoadedPolicy& loaded) {
  const cert::CertBundle alice = make_leaf("CN=alice", {"alice"}, cert::Purpose::Client);
  ChainFixture chain({alice.certificate.get()}, SslPolicyErrors::None);
  return loaded.policy->accepts(alice.certificate.get(), chain.verdict);
}

constexpr const char* kWholeFile = R"(#include <krtool/validation.hpp>

bool validate(const krtool::Certificate* certificate, const krtool::Chain&, krtool::SslPolicyErrors) {
  return certificate != nullptr && certificate->subject() == "CN=alice";
}
)";

}  // namespace

TEST_CASE("a cache hit runs no compiler", "[tls][validation][cache]") {
  const CodeLab lab;
  // The compiler is a script that records each run and then runs the real one.
  const fs::path runs = lab.path("runs.log");
  const fs::path counting =
      lab.write("counting-c++", "#!/bin/sh\necho run >> '" + runs.string() + "'\nexec c++ \"$@\"\n");
  REQUIRE(::chmod(counting.c_str(), 0755) == 0);
  tls::CompilerOptions options = lab.options();
  options.compiler = {counting.string()};

  const tls::LoadedPolicy first = tls::load_validation_code({"return certificate != nullptr;", {}}, options);
  const tls::LoadedPolicy second = tls::load_validation_code({"return certificate != nullptr;", {}}, options);
  CHECK(first.origin == tls::PolicyOrigin::Compiled);
  CHECK(second.origin == tls::PolicyOrigin::Cached);
  CHECK(second.library == first.library);
  CHECK(line_count(runs) == 1);
  CHECK(accepts_alice(second));
  CHECK(second.describe().find("no compiler ran") != std::string::npos);

  // Other code is another key, and so another compile.
  const tls::LoadedPolicy other = tls::load_validation_code({"return false;", {}}, options);
  CHECK(other.origin == tls::PolicyOrigin::Compiled);
  CHECK(line_count(runs) == 2);
}

TEST_CASE("a changed compiler is a cache miss", "[tls][validation][cache]") {
  const CodeLab lab;
  const fs::path compiler = lab.write("my-c++", "#!/bin/sh\nexec c++ \"$@\"\n");
  REQUIRE(::chmod(compiler.c_str(), 0755) == 0);
  tls::CompilerOptions options = lab.options();
  options.compiler = {compiler.string()};
  CHECK(tls::load_validation_code({"return true;", {}}, options).origin == tls::PolicyOrigin::Compiled);

  // Same path, other program: were the key the path alone, this would be a hit that runs nothing.
  lab.write("my-c++", "#!/bin/sh\necho 'this compiler is broken' >&2\nexit 1\n");
  const Error e = error_from([&] { tls::load_validation_code({"return true;", {}}, options); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Catch::Contains("this compiler is broken"));
}

TEST_CASE("a syntax error on the body's second line is reported at line 2", "[tls][validation][errors]") {
  const CodeLab lab;
  const Error e = error_from([&] { lab.body("bool ok = certificate != nullptr;\nreturn ok +;\n"); });
  CHECK(e.code() == Errc::Usage);
  CHECK(exit_code(e.code()) == 2);
  CHECK_THAT(e.what(), Catch::Contains("client-cert-validation-code:2:"));
  CHECK_THAT(e.what(), Catch::Contains("does not compile"));
  CHECK_THAT(e.hint(), Catch::Contains("Writing validation code"));
  // A failed compile leaves no library behind, so the next run compiles again rather than loading junk.
  for (const auto& entry : fs::directory_iterator(lab.cache())) CHECK(entry.path().extension() != ".so");
}

TEST_CASE("a whole file defining validate compiles, and its errors name the file and its line",
          "[tls][validation][files]") {
  const CodeLab lab;
  const fs::path good = lab.write("policy.cpp", kWholeFile);
  CHECK(accepts_alice(lab.file(good)));
  CHECK(lab.file(good).policy->name() == "validation code '" + good.string() + "'");

  const fs::path bad = lab.write("broken.cc",
                                 "#include <string>\n\nbool validate(const krtool::Certificate*, const "
                                 "krtool::Chain&, krtool::SslPolicyErrors) {\n  return undefined_name;\n}\n");
  const Error e = error_from([&] { lab.file(bad); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Catch::Contains(bad.string() + ":4:"));
}

TEST_CASE("a .cxx file without a validate function is a body", "[tls][validation][files]") {
  const CodeLab lab;
  const fs::path body =
      lab.write("body.cxx",
                "// only a body\nreturn certificate != nullptr && certificate->subject() == \"CN=alice\";\n");
  CHECK_FALSE(tls::is_whole_file("return validate_something(certificate);"));
  CHECK(tls::is_whole_file("bool  validate (const krtool::Certificate* c"));
  CHECK(tls::is_whole_file("static bool check(...) {}\nKRTOOL_VALIDATION_ENTRY(check)"));
  CHECK(accepts_alice(lab.file(body)));
}

TEST_CASE("a file with its own KRTOOL_VALIDATION_ENTRY compiles as it is", "[tls][validation][files]") {
  const CodeLab lab;
  const fs::path file = lab.write("own-entry.cpp", R"(#include <krtool/validation.hpp>
static bool only_alice(const krtool::Certificate* c, const krtool::Chain&, krtool::SslPolicyErrors) {
  return c != nullptr && c->subject() == "CN=alice";
}
KRTOOL_VALIDATION_ENTRY(only_alice)
)");
  const std::string unit = tls::translation_unit(kWholeFile, "policy.cpp");
  CHECK_THAT(unit, Catch::Contains("#line 1 \"policy.cpp\"") &&
                       Catch::EndsWith("KRTOOL_VALIDATION_ENTRY(validate)\n"));
  CHECK(accepts_alice(lab.file(file)));
}

TEST_CASE("a prebuilt .so is loaded as it is", "[tls][validation][files]") {
  const CodeLab lab;
  const fs::path source =
      lab.write("policy.cpp", std::string(kWholeFile) + "KRTOOL_VALIDATION_ENTRY(validate)\n");
  const fs::path library = lab.path("policy.so");
  REQUIRE(build_by_hand(source, library) == 0);
  const tls::LoadedPolicy loaded = lab.file(library);
  CHECK(loaded.origin == tls::PolicyOrigin::Prebuilt);
  CHECK(accepts_alice(loaded));
  CHECK_FALSE(fs::exists(lab.cache()));  // nothing was compiled
}

TEST_CASE("a .so that does not export krtool_validate_v1 is refused", "[tls][validation][files]") {
  const CodeLab lab;
  const fs::path source = lab.write("unrelated.cpp", "extern \"C\" int something_else() { return 1; }\n");
  const fs::path library = lab.path("unrelated.so");
  REQUIRE(build_by_hand(source, library) == 0);
  const Error e = error_from([&] { lab.file(library); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Catch::Contains("does not export krtool_validate_v1"));
  CHECK_THAT(e.hint(), Catch::Contains("KRTOOL_VALIDATION_ENTRY"));
}

TEST_CASE("a .so that others can write is refused before it is loaded", "[tls][validation][safety]") {
  const CodeLab lab;
  const fs::path source =
      lab.write("policy.cpp", std::string(kWholeFile) + "KRTOOL_VALIDATION_ENTRY(validate)\n");
  const fs::path library = lab.path("policy.so");
  REQUIRE(build_by_hand(source, library) == 0);
  REQUIRE(::chmod(library.c_str(), 0666) == 0);
  const Error e = error_from([&] { lab.file(library); });
  CHECK(e.code() == Errc::Input);
  CHECK(exit_code(e.code()) == 3);
  CHECK_THAT(e.what(), Catch::Contains("refusing to load") && Catch::Contains("writable by every user"));
  CHECK_THAT(e.hint(), Catch::Contains("chmod go-w"));

  REQUIRE(::chmod(library.c_str(), 0755) == 0);
  REQUIRE(::chmod(lab.path("").c_str(), 0775) == 0);  // now its folder is group-writable
  CHECK_THAT(error_from([&] { lab.file(library); }).what(),
             Catch::Contains("its folder") && Catch::Contains("writable by its group"));
}

TEST_CASE("an insecure cache folder is refused", "[tls][validation][safety]") {
  const CodeLab lab;
  REQUIRE(::mkdir(lab.cache().c_str(), 0777) == 0);
  REQUIRE(::chmod(lab.cache().c_str(), 0777) == 0);
  const Error e = error_from([&] { lab.body("return true;"); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Catch::Contains(lab.cache().string()) && Catch::Contains("writable by every user"));
  CHECK_THAT(e.hint(), Catch::Contains("chmod 700"));
}

TEST_CASE("a cache folder owned by another user is refused", "[tls][validation][safety]") {
  if (::geteuid() != 0) {
    WARN("skipped: only root can give a folder to another user");
    return;
  }
  const CodeLab lab;
  REQUIRE(::mkdir(lab.cache().c_str(), 0700) == 0);
  REQUIRE(::chown(lab.cache().c_str(), 65534, 65534) == 0);
  const Error e = error_from([&] { lab.body("return true;"); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Catch::Contains("owned by user id 65534"));
}

TEST_CASE("a new cache folder is private to its owner", "[tls][validation][cache]") {
  const CodeLab lab;
  lab.body("return true;");
  struct stat info {};
  REQUIRE(::stat(lab.cache().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);
  CHECK(info.st_uid == ::geteuid());
}

TEST_CASE("the cache folder follows XDG_CACHE_HOME, else HOME", "[tls][validation][cache]") {
  const char* saved_xdg = std::getenv("XDG_CACHE_HOME");
  const char* saved_home = std::getenv("HOME");
  const std::string xdg = saved_xdg ? saved_xdg : "", home = saved_home ? saved_home : "";
  ::setenv("XDG_CACHE_HOME", "/var/tmp/xdg", 1);
  ::setenv("HOME", "/home/someone", 1);
  CHECK(tls::default_cache_folder() == fs::path("/var/tmp/xdg/krtool"));
  ::setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  CHECK(tls::default_cache_folder() == fs::path("/home/someone/.cache/krtool"));
  ::unsetenv("XDG_CACHE_HOME");
  CHECK(tls::default_cache_folder() == fs::path("/home/someone/.cache/krtool"));
  saved_xdg ? ::setenv("XDG_CACHE_HOME", xdg.c_str(), 1) : ::unsetenv("XDG_CACHE_HOME");
  saved_home ? ::setenv("HOME", home.c_str(), 1) : ::unsetenv("HOME");
}

TEST_CASE("an unsupported extension is a usage error listing the supported ones",
          "[tls][validation][errors]") {
  const CodeLab lab;
  const fs::path csharp = lab.write("policy.cs", "return true;");
  const Error e = error_from([&] { lab.file(csharp); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(),
             Catch::Contains(".cpp, .cc and .cxx") && Catch::Contains(".so") && Catch::Contains("'.cs'"));
}

TEST_CASE("no compiler is a usage error naming $CXX and the alternatives", "[tls][validation][errors]") {
  const CodeLab lab;
  const char* saved = std::getenv("CXX");
  const std::string cxx = saved ? saved : "";
  ::setenv("CXX", "krtool-no-such-compiler -O1", 1);
  const Error e = error_from([&] { lab.body("return true;"); });
  saved ? ::setenv("CXX", cxx.c_str(), 1) : ::unsetenv("CXX");
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(), Catch::Contains("$CXX ('krtool-no-such-compiler -O1')"));
  CHECK_THAT(e.hint(), Catch::Contains("--client-cert-validation ") && Catch::Contains(".so"));
}

TEST_CASE("the validation language is C++ only", "[tls][validation][errors]") {
  CHECK_NOTHROW(tls::check_validation_language("cpp"));
  CHECK_NOTHROW(tls::check_validation_language("C++"));
  const Error e = error_from([] { tls::check_validation_language("CSharp"); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.hint(), Catch::Contains("cpp"));
}

TEST_CASE("a missing code file is an input error naming it", "[tls][validation][errors]") {
  const CodeLab lab;
  const Error e = error_from([&] { lab.file(lab.path("absent.cpp")); });
  CHECK(e.code() == Errc::Input);
  CHECK_THAT(e.what(), Catch::Contains("absent.cpp"));
}

}  // namespace krtool::test
