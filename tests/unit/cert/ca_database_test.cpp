#include "krtool/cert/ca_database.hpp"

#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "krtool/cert/builder.hpp"
#include "krtool/error.hpp"
#include "support/temp_dir.hpp"
#include "unit/cert/revocation_fixtures.hpp"

using namespace krtool;
using namespace krtool::cert;
using krtool::test::ec_spec;
using krtool::test::kT0;

TEST_CASE("serials are read as people paste them and spelled as openssl prints them", "[cert][revocation]") {
  CHECK(parse_serial("0x1a2b", "--revoke") == "1A2B");
  CHECK(parse_serial("00:E3:01", "--revoke") == "E301");
  CHECK(parse_serial("00E301", "--revoke") == "E301");
  CHECK(parse_serial("abc", "--revoke") == "0ABC");
  CHECK_THROWS_AS(parse_serial("", "--revoke"), Error);
  CHECK_THROWS_AS(parse_serial("00", "--revoke"), Error);
  CHECK_THROWS_AS(parse_serial("12G4", "--revoke"), Error);
  CHECK_THROWS_AS(parse_serial(std::string(42, 'F'), "--revoke"), Error);
  const CertBundle leaf = create_certificate(ec_spec("alice", false));
  CHECK(parse_serial(serial_hex(leaf.certificate.get()), "x") == serial_hex(leaf.certificate.get()));
  CHECK(serial_hex(serial_integer("0ABC").get()) == "0ABC");
}

TEST_CASE("revocation reasons use RFC 5280's names and codes", "[cert][revocation]") {
  CHECK(parse_revocation_reason("keyCompromise") == RevocationReason::KeyCompromise);
  CHECK(parse_revocation_reason("cacompromise") == RevocationReason::CaCompromise);
  CHECK(static_cast<int>(parse_revocation_reason("removeFromCRL")) == 8);
  CHECK(revocation_reason_name(RevocationReason::AaCompromise) == "aACompromise");
  try {
    parse_revocation_reason("stolen");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::Usage);
    CHECK(std::string(e.what()).find("--reason") != std::string::npos);
    CHECK(e.hint().find("privilegeWithdrawn") != std::string::npos);
  }
}

TEST_CASE("issued_by tells the CA's certificates from a stranger's", "[cert][revocation]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle other = create_certificate(ec_spec("Dev CA", true));  // same name, another key
  const CertBundle leaf = create_certificate(ec_spec("alice", false), &ca);
  CHECK(issued_by(leaf.certificate.get(), ca.certificate.get()));
  CHECK_FALSE(issued_by(leaf.certificate.get(), other.certificate.get()));
}

TEST_CASE("a CA database remembers issued certificates and revocations across a save", "[cert][cadb]") {
  test::TempDir dir;
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle alice = create_certificate(ec_spec("alice", false), &ca);
  const CertBundle bob = create_certificate(ec_spec("bob", false), &ca);
  const auto ca_file = dir / "ca.pem";
  CHECK(CaDatabase::path_for(ca_file) == dir / "ca.db.json");
  CHECK_FALSE(CaDatabase::load(ca_file, ca.certificate.get()).has_value());

  CaDatabase db(ca.certificate.get());
  db.record(alice.certificate.get(), "alice.pem");
  db.record(bob.certificate.get(), "bob.pem");
  const std::string bob_serial = serial_hex(bob.certificate.get());
  CHECK(db.crl_number() == 0);
  db.revoke(bob_serial, kT0, RevocationReason::KeyCompromise);
  CHECK(db.crl_number() == 1);  // a revocation changes what the CRL says, so its number
  db.count_crl();
  CHECK(db.crl_number() == 2);  // and so does every CRL that new-crl makes
  db.save(ca_file);

  const auto loaded = CaDatabase::load(ca_file, ca.certificate.get());
  REQUIRE(loaded.has_value());
  REQUIRE(loaded->issued().size() == 2);
  CHECK(loaded->issued()[0].subject == "CN=alice");
  CHECK(loaded->issued()[0].file == "alice.pem");
  CHECK(loaded->crl_number() == 2);
  const Revocation* revoked = loaded->find_revocation(bob_serial);
  REQUIRE(revoked != nullptr);
  CHECK(revoked->revoked_at == kT0);
  CHECK(revoked->reason == RevocationReason::KeyCompromise);
  CHECK(loaded->find_revocation(serial_hex(alice.certificate.get())) == nullptr);
  CHECK(loaded->to_json() == db.to_json());
}

TEST_CASE("a CA database refuses a second revocation, an unknown serial and a stranger's certificate",
          "[cert][cadb]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle other_ca = create_certificate(ec_spec("Other CA", true));
  const CertBundle alice = create_certificate(ec_spec("alice", false), &ca);
  const CertBundle stranger = create_certificate(ec_spec("eve", false), &other_ca);
  CaDatabase db(ca.certificate.get());
  db.record(alice.certificate.get(), "");
  const std::string serial = serial_hex(alice.certificate.get());
  db.revoke(serial, kT0, RevocationReason::Superseded);
  CHECK_THROWS_WITH(db.revoke(serial, kT0, RevocationReason::Superseded), Catch::Contains("already revoked"));
  CHECK_THROWS_WITH(db.revoke("0ABC", kT0, RevocationReason::Unspecified), Catch::Contains("never issued"));
  CaDatabase adopted(ca.certificate.get(), false);  // for a CA made elsewhere: lists what it is told
  CHECK_NOTHROW(adopted.revoke("0ABC", kT0, RevocationReason::Unspecified));
  CHECK_FALSE(CaDatabase::parse(adopted.to_json(), "x", ca.certificate.get()).tracks_issuance());
  CHECK_THROWS_WITH(db.record(stranger.certificate.get(), ""), Catch::Contains("not by this database's CA"));
  CHECK_THROWS_WITH(db.record(alice.certificate.get(), ""), Catch::Contains("already records"));
}

TEST_CASE("a CA database belongs to one CA and says what is wrong with a damaged file", "[cert][cadb]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle remade = create_certificate(ec_spec("Dev CA", true));
  const std::string text = CaDatabase(ca.certificate.get()).to_json();
  CHECK_THROWS_WITH(CaDatabase::parse(text, "ca.db.json", remade.certificate.get()),
                    Catch::Contains("belongs to another CA"));
  const auto input_error = [&](const std::string& bad, const std::string& says) {
    try {
      CaDatabase::parse(bad, "ca.db.json", ca.certificate.get());
      FAIL("accepted: " << bad);
    } catch (const Error& e) {
      CHECK(e.code() == Errc::Input);
      CHECK_THAT(e.what(), Catch::Contains("ca.db.json") && Catch::Contains(says));
    }
  };
  input_error("{", "not JSON");
  input_error("[]", "not a JSON object");
  input_error(R"({"format":"other"})", "format 'other'");
  input_error(std::string(100, '[') + std::string(100, ']'), "nested too deeply");
  std::string bad_reason = text;
  bad_reason.replace(bad_reason.find("\"revoked\": []"), 13,
                     R"("revoked": [{"serial":"0A","revokedAt":"2026-01-01T00:00:00Z","reason":"stolen"}])");
  input_error(bad_reason, "'stolen'");
  std::string bad_time = text;
  bad_time.replace(bad_time.find("\"revoked\": []"), 13,
                   R"("revoked": [{"serial":"0A","revokedAt":"1d","reason":"superseded"}])");
  input_error(bad_time, "not an RFC 3339 time");
}

TEST_CASE("a certificate to revoke is named by its file or its serial", "[cert][revocation]") {
  test::TempDir dir;
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle other_ca = create_certificate(ec_spec("Other CA", true));
  const CertBundle alice = create_certificate(ec_spec("alice", false), &ca);
  const CertBundle eve = create_certificate(ec_spec("eve", false), &other_ca);
  const auto write_pem = [&](const std::string& name, X509* certificate) {
    ossl::UniquePtr<BIO> sink = ossl::sink_bio();
    REQUIRE(PEM_write_bio_X509(sink.get(), certificate) == 1);
    std::ofstream(dir / name) << ossl::bio_contents(sink.get());
    return (dir / name).string();
  };
  const std::string alice_file = write_pem("alice.pem", alice.certificate.get());
  const std::string eve_file = write_pem("eve.pem", eve.certificate.get());
  CHECK(revocation_serial(alice_file, ca.certificate.get(), "--revoke") ==
        serial_hex(alice.certificate.get()));
  CHECK(revocation_serial("0x0abc", ca.certificate.get(), "--revoke") == "0ABC");
  try {
    revocation_serial(eve_file, ca.certificate.get(), "--revoke");
    FAIL("a stranger's certificate was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::Input);
    CHECK_THAT(e.what(), Catch::Contains("eve.pem") && Catch::Contains("not issued by CA 'CN=Dev CA'"));
  }
  CHECK_THROWS_WITH(revocation_serial(dir.path().string() + "/missing.pem", ca.certificate.get(), "--revoke"),
                    Catch::Contains("not a serial number"));
}
