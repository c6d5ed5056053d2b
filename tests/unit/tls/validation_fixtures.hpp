// Fixtures for the validation-code tests: a private compiler cache per test, real certificates made by
// cert::create_certificate, the chain verdict the TLS layer would hand a policy, and a shared object
// built by hand with the system's c++, as a user following the docs would build one.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "krtool/cert/builder.hpp"
#include "krtool/error.hpp"
#include "krtool/tls/policy_compiler.hpp"
#include "support/error_from.hpp"
#include "support/temp_dir.hpp"

namespace krtool::test {

// CodeLab is one test's folder with its own compiler cache, so that no test sees another's cache or
// the user's ~/.cache.
class CodeLab {
 public:
  tls::CompilerOptions options() const {
    tls::CompilerOptions o;
    o.cache_folder = cache();
    return o;
  }
  std::filesystem::path cache() const { return dir_ / "cache"; }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  tls::LoadedPolicy body(const std::string& code) const {
    return tls::load_validation_code({code, {}}, options());
  }
  // shared_body is body() for a test that runs code rather than tests the compiler: its cache is one
  // folder for every test of the build, so that code compiled by one test process is loaded by the later
  // ones. Processes that start together may each compile it (nothing locks the check-and-compile), which
  // is safe: the compiler writes a library under a name of its own and renames it into place.
  static tls::LoadedPolicy shared_body(const std::string& code) {
    tls::CompilerOptions shared;
    shared.cache_folder = std::filesystem::path(KRTOOL_TEST_TMP) / "validation-cache";
    return tls::load_validation_code({code, {}}, shared);
  }
  tls::LoadedPolicy file(const std::filesystem::path& path) const {
    return tls::load_validation_code({{}, path}, options());
  }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream out(path(name), std::ios::binary);
    out << text;
    out.close();
    REQUIRE(out.good());
    return path(name);
  }

 private:
  TempDir dir_;
};

// ChainFixture is what the TLS layer passes a policy: the chain as built (leaf first) and its problems.
struct ChainFixture {
  ossl::UniquePtr<STACK_OF(X509)> stack{sk_X509_new_null()};
  tls::ChainVerdict verdict;

  ChainFixture(std::vector<X509*> chain, SslPolicyErrors errors,
               std::vector<cert::ChainProblem> problems = {}) {
    REQUIRE(stack != nullptr);
    for (X509* member : chain) {
      ossl::UniquePtr<X509> reference = ossl::up_ref(member);
      REQUIRE(sk_X509_push(stack.get(), reference.get()) > 0);
      reference.release();  // the stack owns it now
    }
    verdict.errors = errors;
    verdict.problems = std::move(problems);
    verdict.chain = stack.get();
  }
};

inline cert::CertBundle make_ca(const std::string& subject) {
  cert::CertificateSpec spec;
  spec.subject = subject;
  spec.key.type = cert::KeyType::Ecdsa;
  spec.is_ca = true;
  return cert::create_certificate(spec);
}

inline cert::CertBundle make_leaf(const std::string& subject, std::vector<std::string> names,
                                  cert::Purpose purpose, const cert::CertBundle* issuer = nullptr) {
  cert::CertificateSpec spec;
  spec.subject = subject;
  spec.names = std::move(names);
  spec.purpose = purpose;
  spec.key.type = cert::KeyType::Ecdsa;
  return cert::create_certificate(spec, issuer);
}

// build_by_hand runs `c++ -std=c++17 -shared -fPIC -I<krtool's public headers> SOURCE -o OUTPUT` (the
// docs' command) and returns its exit status.
inline int build_by_hand(const std::filesystem::path& source, const std::filesystem::path& output) {
  const std::string command = "c++ -std=c++17 -shared -fPIC -I'" KRTOOL_PUBLIC_INCLUDE_DIR "' '" +
                              source.string() + "' -o '" + output.string() + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// thrown_by runs `action` and returns the text of the std::exception it throws; the test fails when
// it throws none.
template <typename Action>
std::string thrown_by(Action&& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return {};
}

}  // namespace krtool::test
