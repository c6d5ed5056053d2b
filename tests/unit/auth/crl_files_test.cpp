// CrlFiles, Offline mode's --crl files: re-read when one changes on disk (size or modification time),
// looked at no more than once a second by the clock the test moves on; a changed file that no longer
// reads keeps the CRLs it had, and the log says why.
#include "auth/crl_files.hpp"

#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "auth_fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace krtool;
using namespace krtool::test;

namespace {

void write_crl(const std::filesystem::path& path, X509_CRL* crl) {
  ossl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509_CRL(bio.get(), crl) == 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data, length);
}

int revoked_count(const std::vector<ossl::UniquePtr<X509_CRL>>& crls) {
  REQUIRE(crls.size() == 1);
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crls.front().get());
  return revoked == nullptr ? 0 : sk_X509_REVOKED_num(revoked);  // a CRL that lists none may have no list
}

}  // namespace

TEST_CASE("offline CRL files are re-read when they change, at most once a second",
          "[auth][revocation][crl]") {
  const TempDir dir;
  const auto path = dir / "ca.crl";
  const cert::CertBundle root = cert::create_certificate(ca_spec("CN=Files CA"));
  const cert::CertBundle alice = cert::create_certificate(client_spec("alice"), &root);
  const cert::CertBundle bob = cert::create_certificate(client_spec("bob"), &root);
  write_crl(path, make_crl(root).get());
  std::vector<std::string> log;
  TestClock clock;
  auth::CrlFiles files(
      {path.string()}, [&log](const std::string& line) { log.push_back(line); }, clock.clock());
  CHECK(revoked_count(files.current()) == 0);

  write_crl(path, make_crl(root, {alice.certificate.get()}).get());
  CHECK(revoked_count(files.current()) == 0);  // within the second: not looked at
  clock.advance(std::chrono::seconds(1));
  CHECK(revoked_count(files.current()) == 1);
  CHECK(log == std::vector<std::string>{"revocation: re-read the changed CRL file '" + path.string() + "'"});

  SECTION("a broken new file keeps the old CRLs and says why, once") {
    std::ofstream(path, std::ios::trunc) << "-----BEGIN X509 CRL-----\nnot base64\n";
    clock.advance(std::chrono::seconds(1));
    CHECK(revoked_count(files.current()) == 1);
    clock.advance(std::chrono::seconds(1));
    CHECK(revoked_count(files.current()) == 1);
    REQUIRE(log.size() == 2);
    CHECK_THAT(log.back(), Catch::StartsWith("revocation: keeping the previous CRLs of '" + path.string() +
                                             "': the changed file does not read: "));
  }
  SECTION("a missing file keeps the old CRLs too") {
    std::filesystem::remove(path);
    clock.advance(std::chrono::seconds(1));
    CHECK(revoked_count(files.current()) == 1);
    REQUIRE(log.size() == 2);
    CHECK_THAT(log.back(), Catch::Contains("the changed file does not read: cannot read"));
  }
  SECTION("a repaired file is taken again") {
    write_crl(path, make_crl(root, {alice.certificate.get(), bob.certificate.get()}).get());
    clock.advance(std::chrono::seconds(1));
    CHECK(revoked_count(files.current()) == 2);
  }
}

TEST_CASE("offline CRL files that cannot be read at start stop it, naming the file",
          "[auth][revocation][crl]") {
  const TempDir dir;
  const auto missing = (dir / "missing.crl").string();
  CHECK_THROWS_WITH(auth::CrlFiles({missing}, {}, {}), Catch::Contains(missing));
}
