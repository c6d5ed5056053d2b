// Fixtures for the formats tests: certificates made in memory with cert::create_certificate, files
// made by the openssl command (the peer krtool must interoperate with), and a scratch folder.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "krtool/cert/builder.hpp"
#include "krtool/error.hpp"
#include "support/error_from.hpp"

namespace krtool::formats_test {

using test::error_from;

namespace fs = std::filesystem;

// ScratchDir is a fresh folder under KRTOOL_TEST_TMP, removed when the test ends.
class ScratchDir {
 public:
  ScratchDir() {
    fs::create_directories(KRTOOL_TEST_TMP);
    std::string pattern = (fs::path(KRTOOL_TEST_TMP) / "formats-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  REQUIRE(out.good());
}

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// shell runs a command in `dir` and returns its standard output; the test fails if it exits non-zero.
inline std::string shell(const ScratchDir& dir, const std::string& command) {
  const fs::path output = dir / ".shell-output";
  const std::string line =
      fmt::format("cd '{}' && ( {} ) > '{}' 2>&1", dir.path().string(), command, output.string());
  const int status = std::system(line.c_str());
  const std::string text = read_bytes(output);
  INFO("command: " << command << "\noutput: " << text);
  REQUIRE(status == 0);
  return text;
}

inline cert::CertificateSpec leaf_spec(const std::string& name) {
  cert::CertificateSpec spec;
  spec.names = {name};
  spec.key.type = cert::KeyType::Ecdsa;  // fast; RSA is covered by the openssl-made fixtures
  return spec;
}

inline cert::CertBundle make_self_signed(const std::string& name) {
  return cert::create_certificate(leaf_spec(name));
}

inline cert::CertBundle make_ca(const std::string& name) {
  cert::CertificateSpec spec;
  spec.subject = "CN=" + name;
  spec.is_ca = true;
  spec.key.type = cert::KeyType::Ecdsa;
  return cert::create_certificate(spec);
}

// openssl_leaf makes cert.pem and key.pem (RSA, unencrypted PKCS#8) with the openssl command.
inline void openssl_leaf(const ScratchDir& dir, const std::string& name) {
  shell(dir, fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 "
                         "-subj '/CN={}' -addext 'subjectAltName=DNS:{}'",
                         name, name));
}

inline std::string der_of(X509* certificate) {
  unsigned char* raw = nullptr;
  const int size = i2d_X509(certificate, &raw);
  ossl::UniquePtr<unsigned char> owned(raw);
  REQUIRE(size > 0);
  return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<size_t>(size));
}

inline bool same_certificate(X509* a, X509* b) { return X509_cmp(a, b) == 0; }

}  // namespace krtool::formats_test
