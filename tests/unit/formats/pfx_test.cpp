#include <catch2/catch.hpp>

#include "formats_fixtures.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/formats/load.hpp"

namespace krtool::formats_test {
namespace {

formats::LoadOptions with_password(std::optional<std::string> password) {
  formats::LoadOptions options;
  options.password = std::move(password);
  return options;
}

// A CA and a leaf it signed: the leaf's bundle carries the CA as its chain.
struct SignedLeaf {
  cert::CertBundle ca = make_ca("Formats Test CA");
  cert::CertBundle leaf = cert::create_certificate(leaf_spec("leaf.test"), &ca);
};

// Python's cryptography reading both profiles' files is the end-to-end test's part
// (import_export_test.sh); here krtool reads back its own.
TEST_CASE("a modern or legacy PFX round-trips key, certificate and chain", "[formats][pfx]") {
  const SignedLeaf made;
  REQUIRE(made.leaf.chain.size() == 1);
  for (const formats::PfxProfile profile : {formats::PfxProfile::Modern, formats::PfxProfile::Legacy}) {
    INFO(formats::pfx_profile_name(profile));
    const std::string pfx = formats::encode_pfx(made.leaf, "s3cret", profile);

    const cert::CertBundle loaded = formats::load_bundle_from_bytes(pfx, "leaf.pfx", with_password("s3cret"));
    CHECK(same_certificate(loaded.certificate.get(), made.leaf.certificate.get()));
    REQUIRE(loaded.key != nullptr);
    CHECK(EVP_PKEY_eq(loaded.key.get(), made.leaf.key.get()) == 1);
    REQUIRE(loaded.chain.size() == 1);
    CHECK(same_certificate(loaded.chain[0].get(), made.ca.certificate.get()));
  }
}

TEST_CASE("a modern PFX uses AES-256-CBC with PBKDF2 and a SHA-256 MAC, as openssl reports",
          "[formats][pfx]") {
  ScratchDir dir;
  write_bytes(dir / "modern.pfx",
              formats::encode_pfx(make_self_signed("modern.test"), "pw", formats::PfxProfile::Modern));
  const std::string info = shell(dir, "openssl pkcs12 -info -noout -in modern.pfx -passin pass:pw");
  CHECK_THAT(info, Catch::Contains("MAC: sha256"));
  CHECK_THAT(info, Catch::Contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"));
  CHECK_THAT(info, Catch::Contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"));
  CHECK_THAT(info, Catch::Contains("hmacWithSHA256"));
  // The friendly name is the certificate's common name.
  const std::string bags = shell(dir, "openssl pkcs12 -in modern.pfx -passin pass:pw -nokeys");
  CHECK_THAT(bags, Catch::Contains("friendlyName: modern.test"));
}

TEST_CASE("a legacy-profile PFX uses 3DES and a SHA-1 MAC and reads back", "[formats][pfx]") {
  ScratchDir dir;
  const cert::CertBundle made = make_self_signed("legacy.test");
  const std::string pfx = formats::encode_pfx(made, "pw", formats::PfxProfile::Legacy);
  write_bytes(dir / "legacy.pfx", pfx);
  const std::string info = shell(dir, "openssl pkcs12 -info -noout -in legacy.pfx -passin pass:pw");
  CHECK_THAT(info, Catch::Contains("MAC: sha1"));
  CHECK_THAT(info, Catch::Contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"));
  CHECK_THAT(info, Catch::Contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC"));

  const cert::CertBundle loaded = formats::load_bundle_from_bytes(pfx, "legacy.pfx", with_password("pw"));
  CHECK(same_certificate(loaded.certificate.get(), made.certificate.get()));
  CHECK(loaded.key != nullptr);
}

TEST_CASE("import reads a legacy RC2-40 PFX", "[formats][pfx]") {
  ScratchDir dir;
  openssl_leaf(dir, "rc2.test");
  shell(dir, "openssl pkcs12 -export -legacy -in cert.pem -inkey key.pem -out rc2.pfx -passout pass:old");
  CHECK_THAT(shell(dir, "openssl pkcs12 -legacy -info -noout -in rc2.pfx -passin pass:old"),
             Catch::Contains("pbeWithSHA1And40BitRC2-CBC"));

  const cert::CertBundle loaded = formats::load_bundle(dir / "rc2.pfx", with_password("old"));
  CHECK(loaded.key != nullptr);
  CHECK(
      same_certificate(loaded.certificate.get(), formats::load_certificates(dir / "cert.pem").front().get()));
}

TEST_CASE("a PFX opened with a wrong password is an input error that says so", "[formats][pfx]") {
  const std::string pfx =
      formats::encode_pfx(make_self_signed("wrong.test"), "right", formats::PfxProfile::Modern);
  const Error error =
      error_from([&] { formats::load_bundle_from_bytes(pfx, "w.pfx", with_password("wrong")); });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(), Catch::Contains("wrong password") && Catch::Contains("w.pfx"));
  CHECK_THAT(error.hint(), Catch::Contains("--password"));
}

TEST_CASE("a protected PFX without a password asks the prompt once, then fails with a hint",
          "[formats][pfx]") {
  const std::string pfx =
      formats::encode_pfx(make_self_signed("prompt.test"), "typed", formats::PfxProfile::Modern);

  SECTION("no prompt: a missing-password error") {
    const Error error = error_from([&] { formats::load_bundle_from_bytes(pfx, "p.pfx", {}); });
    CHECK(error.code() == Errc::Input);
    CHECK_THAT(error.what(), Catch::Contains("password-protected") && Catch::Contains("p.pfx"));
    CHECK_THAT(error.hint(), Catch::Contains("--password-file") && Catch::Contains("--no-password"));
  }
  SECTION("the prompt's answer opens it") {
    int asked = 0;
    formats::LoadOptions options;
    options.prompt = [&asked](std::string_view purpose, bool) -> std::optional<std::string> {
      ++asked;
      CHECK_THAT(std::string(purpose), Catch::Contains("p.pfx"));
      return "typed";
    };
    CHECK(formats::load_bundle_from_bytes(pfx, "p.pfx", options).key != nullptr);
    CHECK(asked == 1);
  }
  SECTION("a wrong answer is a wrong password, asked once only") {
    int asked = 0;
    formats::LoadOptions options;
    options.prompt = [&asked](std::string_view, bool) -> std::optional<std::string> {
      ++asked;
      return "nope";
    };
    const Error error = error_from([&] { formats::load_bundle_from_bytes(pfx, "p.pfx", options); });
    CHECK_THAT(error.what(), Catch::Contains("wrong password"));
    CHECK(asked == 1);
  }
}

TEST_CASE("a PFX with an empty password opens without one, from krtool and from openssl", "[formats][pfx]") {
  ScratchDir dir;
  const cert::CertBundle made = make_self_signed("empty.test");
  const std::string ours = formats::encode_pfx(made, "", formats::PfxProfile::Modern);
  CHECK(formats::load_bundle_from_bytes(ours, "ours.pfx", {}).key != nullptr);
  CHECK(formats::load_bundle_from_bytes(ours, "ours.pfx", with_password("")).key != nullptr);

  openssl_leaf(dir, "empty.test");
  shell(dir, "openssl pkcs12 -export -in cert.pem -inkey key.pem -out theirs.pfx -passout pass:");
  CHECK(formats::load_bundle(dir / "theirs.pfx", {}).key != nullptr);
}

TEST_CASE("a truncated PFX is reported as truncated, not as an unknown format", "[formats][pfx]") {
  const std::string pfx =
      formats::encode_pfx(make_self_signed("cut.test"), "pw", formats::PfxProfile::Modern);
  const Error error = error_from([&] {
    formats::load_bundle_from_bytes(pfx.substr(0, pfx.size() / 3), "cut.pfx", with_password("pw"));
  });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(), Catch::Contains("cut.pfx") && Catch::Contains("truncated"));
  CHECK_FALSE(error.hint().empty());
}

TEST_CASE("a PFX that holds only a key is reported as having no certificate", "[formats][pfx]") {
  ScratchDir dir;
  openssl_leaf(dir, "keyonly.test");
  shell(dir, "openssl pkcs12 -export -nocerts -inkey key.pem -out keyonly.pfx -passout pass:pw");
  const Error error = error_from([&] { formats::load_bundle(dir / "keyonly.pfx", with_password("pw")); });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(), Catch::Contains("private key but no certificate"));
}

TEST_CASE("load_certificates reads an open PFX and refuses a password-protected one", "[formats][pfx]") {
  ScratchDir dir;
  const SignedLeaf made;
  write_bytes(dir / "open.pfx", formats::encode_pfx(made.leaf, "", formats::PfxProfile::Modern));
  write_bytes(dir / "closed.pfx", formats::encode_pfx(made.leaf, "pw", formats::PfxProfile::Modern));

  CHECK(formats::load_certificates(dir / "open.pfx").size() == 2);
  const Error error = error_from([&] { formats::load_certificates(dir / "closed.pfx"); });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(), Catch::Contains("password-protected"));
}

}  // namespace
}  // namespace krtool::formats_test
