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

formats::LoadOptions with_key(const fs::path& key, std::optional<std::string> password = std::nullopt) {
  formats::LoadOptions options = with_password(std::move(password));
  options.key_path = key;
  return options;
}

TEST_CASE("a PEM certificate and a plain PKCS#8 key in one file load together", "[formats][pem]") {
  const cert::CertBundle made = make_self_signed("combined.test");
  const std::string pem =
      formats::encode_pem_certificates(made, true) + formats::encode_pem_key(made.key.get(), std::nullopt);
  CHECK_THAT(pem, Catch::Contains("-----BEGIN PRIVATE KEY-----"));

  const cert::CertBundle loaded = formats::load_bundle_from_bytes(pem, "combined.pem", {});
  CHECK(same_certificate(loaded.certificate.get(), made.certificate.get()));
  REQUIRE(loaded.key != nullptr);
  CHECK(EVP_PKEY_eq(loaded.key.get(), made.key.get()) == 1);
  CHECK(loaded.chain.empty());
}

TEST_CASE("a PEM certificate without a key loads as certificate only", "[formats][pem]") {
  const cert::CertBundle made = make_self_signed("public.test");
  const cert::CertBundle loaded = formats::load_bundle_from_bytes(
      formats::encode_pem_certificate(made.certificate.get()), "public.pem", {});
  CHECK(same_certificate(loaded.certificate.get(), made.certificate.get()));
  CHECK(loaded.key == nullptr);
}

TEST_CASE("an encrypted PKCS#8 key needs its password: missing, wrong, then right", "[formats][pem]") {
  ScratchDir dir;
  const cert::CertBundle made = make_self_signed("encrypted.test");
  write_bytes(dir / "c.pem", formats::encode_pem_certificate(made.certificate.get()));
  write_bytes(dir / "k.pem", formats::encode_pem_key(made.key.get(), std::string("kpw")));

  const Error missing = error_from([&] { formats::load_bundle(dir / "c.pem", with_key(dir / "k.pem")); });
  CHECK(missing.code() == Errc::Input);
  CHECK_THAT(missing.what(), Catch::Contains("k.pem") && Catch::Contains("no password was given"));
  CHECK_THAT(missing.hint(), Catch::Contains("--password"));

  const Error wrong =
      error_from([&] { formats::load_bundle(dir / "c.pem", with_key(dir / "k.pem", std::string("bad"))); });
  CHECK(wrong.code() == Errc::Input);
  CHECK_THAT(wrong.what(), Catch::Contains("wrong password") && Catch::Contains("k.pem"));

  const cert::CertBundle loaded =
      formats::load_bundle(dir / "c.pem", with_key(dir / "k.pem", std::string("kpw")));
  CHECK(EVP_PKEY_eq(loaded.key.get(), made.key.get()) == 1);
}

TEST_CASE("the prompt's answer opens an encrypted key in the certificate's file", "[formats][pem]") {
  const cert::CertBundle made = make_self_signed("asked.test");
  const std::string pem = formats::encode_pem_certificate(made.certificate.get()) +
                          formats::encode_pem_key(made.key.get(), std::string("typed"));
  int asked = 0;
  formats::LoadOptions options;
  options.prompt = [&asked](std::string_view, bool confirm) -> std::optional<std::string> {
    ++asked;
    CHECK_FALSE(confirm);
    return "typed";
  };
  CHECK(formats::load_bundle_from_bytes(pem, "asked.pem", options).key != nullptr);
  CHECK(asked == 1);
}

TEST_CASE("encrypted PEM keys use PBES2 with AES-256-CBC, HMAC-SHA256 and 100 000 iterations",
          "[formats][pem]") {
  ScratchDir dir;
  const cert::CertBundle made = make_self_signed("pbes2.test");
  const std::string pem = formats::encode_pem_key(made.key.get(), std::string("kpw"));
  CHECK_THAT(pem, Catch::StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  write_bytes(dir / "k.pem", pem);
  const std::string parsed = shell(dir, "openssl asn1parse -in k.pem");
  CHECK_THAT(parsed, Catch::Contains(":PBES2"));
  CHECK_THAT(parsed, Catch::Contains(":PBKDF2"));
  CHECK_THAT(parsed, Catch::Contains(":hmacWithSHA256"));
  CHECK_THAT(parsed, Catch::Contains(":aes-256-cbc"));
  CHECK_THAT(parsed, Catch::Contains("INTEGER           :0186A0"));  // 100 000
  shell(dir, "openssl pkey -in k.pem -passin pass:kpw -noout");
}

TEST_CASE("traditional RSA and EC keys load, encrypted with Proc-Type or not", "[formats][pem]") {
  ScratchDir dir;
  SECTION("an encrypted traditional RSA key") {
    shell(dir, "openssl genrsa -traditional -aes256 -passout pass:trad -out rsa.key 2048");
    CHECK_THAT(read_bytes(dir / "rsa.key"), Catch::Contains("Proc-Type: 4,ENCRYPTED"));
    shell(dir,
          "openssl req -x509 -new -key rsa.key -passin pass:trad -subj /CN=trad.test -days 30 -out rsa.pem");
    const cert::CertBundle loaded =
        formats::load_bundle(dir / "rsa.pem", with_key(dir / "rsa.key", std::string("trad")));
    CHECK(loaded.key != nullptr);
    const Error wrong = error_from(
        [&] { formats::load_bundle(dir / "rsa.pem", with_key(dir / "rsa.key", std::string("x"))); });
    CHECK_THAT(wrong.what(), Catch::Contains("wrong password"));
  }
  SECTION("an EC key after its EC PARAMETERS block, in the certificate's file") {
    shell(dir,
          "openssl ecparam -name prime256v1 -genkey -out ec.key && "
          "openssl req -x509 -new -key ec.key -subj /CN=ec.test -days 30 -out ec.crt && cat ec.crt ec.key > "
          "both.pem");
    CHECK_THAT(read_bytes(dir / "both.pem"), Catch::Contains("BEGIN EC PARAMETERS"));
    const cert::CertBundle loaded = formats::load_bundle(dir / "both.pem", {});
    CHECK(loaded.key != nullptr);
  }
}

TEST_CASE("a key in a separate file must match the certificate", "[formats][pem]") {
  ScratchDir dir;
  const cert::CertBundle alice = make_self_signed("alice.test");
  const cert::CertBundle bob = make_self_signed("bob.test");
  write_bytes(dir / "c.pem", formats::encode_pem_certificate(alice.certificate.get()));
  write_bytes(dir / "k.pem", formats::encode_pem_key(bob.key.get(), std::nullopt));
  const Error error = error_from([&] { formats::load_bundle(dir / "c.pem", with_key(dir / "k.pem")); });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(),
             Catch::Contains("key '" + (dir / "k.pem").string() + "' does not match certificate '" +
                             (dir / "c.pem").string() + "'"));
  CHECK_FALSE(error.hint().empty());
}

TEST_CASE("a key given separately replaces an encrypted key in the certificate's file, unasked",
          "[formats][pem]") {
  ScratchDir dir;
  const cert::CertBundle made = make_self_signed("replaced.test");
  write_bytes(dir / "both.pem", formats::encode_pem_certificate(made.certificate.get()) +
                                    formats::encode_pem_key(made.key.get(), std::string("unused")));
  write_bytes(dir / "k.pem", formats::encode_pem_key(made.key.get(), std::nullopt));
  formats::LoadOptions options = with_key(dir / "k.pem");
  options.prompt = [](std::string_view, bool) -> std::optional<std::string> {
    FAIL("the prompt should not be asked");
    return std::nullopt;
  };
  CHECK(formats::load_bundle(dir / "both.pem", options).key != nullptr);
}

TEST_CASE("with a key present the leaf is the certificate that matches it, the chain is issuer first",
          "[formats][pem]") {
  const cert::CertBundle root = make_ca("Root CA");
  cert::CertificateSpec intermediate_spec;
  intermediate_spec.subject = "CN=Intermediate CA";
  intermediate_spec.is_ca = true;
  intermediate_spec.key.type = cert::KeyType::Ecdsa;
  const cert::CertBundle intermediate = cert::create_certificate(intermediate_spec, &root);
  const cert::CertBundle leaf = cert::create_certificate(leaf_spec("chained.test"), &intermediate);

  // Root first, leaf last, key in the middle: the order a hand-made bundle might have.
  const std::string pem = formats::encode_pem_certificate(root.certificate.get()) +
                          formats::encode_pem_certificate(leaf.certificate.get()) +
                          formats::encode_pem_key(leaf.key.get(), std::nullopt) +
                          formats::encode_pem_certificate(intermediate.certificate.get());
  const cert::CertBundle loaded = formats::load_bundle_from_bytes(pem, "bundle.pem", {});
  CHECK(same_certificate(loaded.certificate.get(), leaf.certificate.get()));
  REQUIRE(loaded.chain.size() == 2);
  CHECK(same_certificate(loaded.chain[0].get(), intermediate.certificate.get()));
  CHECK(same_certificate(loaded.chain[1].get(), root.certificate.get()));

  SECTION("without a key the first certificate is the leaf") {
    const std::string no_key = formats::encode_pem_certificate(intermediate.certificate.get()) +
                               formats::encode_pem_certificate(root.certificate.get());
    const cert::CertBundle first = formats::load_bundle_from_bytes(no_key, "cas.pem", {});
    CHECK(same_certificate(first.certificate.get(), intermediate.certificate.get()));
    CHECK(first.chain.size() == 1);
  }
}

TEST_CASE("a file holding only a key is an input error that says so", "[formats][pem]") {
  const cert::CertBundle made = make_self_signed("lonely.test");
  const Error pem = error_from([&] {
    formats::load_bundle_from_bytes(formats::encode_pem_key(made.key.get(), std::nullopt), "lonely.key", {});
  });
  CHECK(pem.code() == Errc::Input);
  CHECK_THAT(pem.what(), Catch::Contains("'lonely.key' holds a private key but no certificate"));
  CHECK_THAT(pem.hint(), Catch::Contains("--key"));

  unsigned char* raw = nullptr;
  const int size = i2d_PrivateKey(made.key.get(), &raw);
  ossl::UniquePtr<unsigned char> der(raw);
  REQUIRE(size > 0);
  const Error der_error = error_from([&] {
    formats::load_bundle_from_bytes(
        std::string(reinterpret_cast<char*>(der.get()), static_cast<size_t>(size)), "lonely.der", {});
  });
  CHECK_THAT(der_error.what(), Catch::Contains("private key but no certificate"));
}

TEST_CASE("unknown content is an input error naming the file and the formats", "[formats][pem]") {
  const Error error = error_from(
      [] { formats::load_bundle_from_bytes(std::string("\x13\x37\xde\xad\xbe\xef", 6), "r.bin", {}); });
  CHECK(error.code() == Errc::Input);
  CHECK(std::string(error.what()) ==
        "'r.bin' is not a certificate file krtool can read (PEM, PKCS#12 or DER)");
  CHECK_FALSE(error.hint().empty());

  const Error csr_only = error_from([] {
    formats::load_bundle_from_bytes(
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "req.pem", {});
  });
  CHECK_THAT(csr_only.what(),
             Catch::Contains("holds no certificate") && Catch::Contains("CERTIFICATE REQUEST"));
}

TEST_CASE("a PEM file cut before its END line is reported as truncated", "[formats][pem]") {
  const std::string pem = formats::encode_pem_certificate(make_self_signed("cut.test").certificate.get());
  const Error error = error_from([&] { formats::load_bundle_from_bytes(pem.substr(0, 200), "cut.pem", {}); });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(), Catch::Contains("cut.pem") && Catch::Contains("truncated"));
}

TEST_CASE("a DER key file, plain or encrypted PKCS#8, is read with --key", "[formats][der]") {
  ScratchDir dir;
  openssl_leaf(dir, "derkey.test");
  shell(dir,
        "openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out plain.der && "
        "openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:dpw -in key.pem -outform DER -out enc.der && "
        "openssl x509 -in cert.pem -outform DER -out cert.der");
  CHECK(formats::load_bundle(dir / "cert.der", with_key(dir / "plain.der")).key != nullptr);
  CHECK(formats::load_bundle(dir / "cert.der", with_key(dir / "enc.der", std::string("dpw"))).key != nullptr);
  const Error wrong = error_from(
      [&] { formats::load_bundle(dir / "cert.der", with_key(dir / "enc.der", std::string("x"))); });
  CHECK_THAT(wrong.what(), Catch::Contains("wrong password"));
  const Error missing =
      error_from([&] { formats::load_bundle(dir / "cert.der", with_key(dir / "enc.der")); });
  CHECK_THAT(missing.what(), Catch::Contains("no password was given"));
}

TEST_CASE("a DER certificate round-trips byte for byte", "[formats][der]") {
  const cert::CertBundle made = make_self_signed("der.test");
  const std::string der = formats::encode_der_certificate(made.certificate.get());
  CHECK(der == der_of(made.certificate.get()));
  const cert::CertBundle loaded = formats::load_bundle_from_bytes(der, "c.der", {});
  CHECK(der_of(loaded.certificate.get()) == der);
  CHECK(loaded.key == nullptr);
}

TEST_CASE("load_certificates reads every certificate of a PEM file, and a DER file", "[formats][pem]") {
  ScratchDir dir;
  const cert::CertBundle a = make_ca("Trust A");
  const cert::CertBundle b = make_ca("Trust B");
  write_bytes(dir / "trust.pem", formats::encode_pem_certificate(a.certificate.get()) +
                                     formats::encode_pem_key(a.key.get(), std::nullopt) +
                                     formats::encode_pem_certificate(b.certificate.get()));
  write_bytes(dir / "one.der", formats::encode_der_certificate(b.certificate.get()));
  const auto from_pem = formats::load_certificates(dir / "trust.pem");
  REQUIRE(from_pem.size() == 2);
  CHECK(same_certificate(from_pem[0].get(), a.certificate.get()));
  CHECK(same_certificate(from_pem[1].get(), b.certificate.get()));
  CHECK(formats::load_certificates(dir / "one.der").size() == 1);

  const Error missing = error_from([&] { formats::load_certificates(dir / "absent.pem"); });
  CHECK(missing.code() == Errc::Input);
}

}  // namespace
}  // namespace krtool::formats_test
