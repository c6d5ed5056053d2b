#include "krtool/formats/pfx_info.hpp"

#include <catch2/catch.hpp>

#include "formats_fixtures.hpp"
#include "krtool/formats/encode.hpp"

namespace krtool::formats_test {
namespace {

const formats::ImporterVerdict& verdict(const std::vector<formats::ImporterVerdict>& all,
                                        const std::string& id) {
  for (const formats::ImporterVerdict& one : all) {
    if (one.id == id) return one;
  }
  FAIL("no verdict for " << id);
  throw std::logic_error("unreachable");
}

TEST_CASE("inspect_pfx reports each profile's algorithms, MAC and names", "[formats][pfx]") {
  const cert::CertBundle bundle = make_self_signed("inspect.test");
  const formats::PfxInfo modern = formats::inspect_pfx(
      formats::encode_pfx(bundle, "pw", formats::PfxProfile::Modern), "modern.pfx", "pw");
  CHECK(modern.opened);
  CHECK(modern.mac_digest == "SHA-256");
  CHECK(modern.mac_iterations == 2048);
  REQUIRE(modern.bags.size() == 2);
  for (const formats::PfxBag& bag : modern.bags) {
    CHECK(bag.encryption.scheme == "PBES2");
    CHECK(bag.encryption.cipher == "AES-256-CBC");
    CHECK(bag.encryption.kdf == "PBKDF2-HMAC-SHA256");
    CHECK(bag.friendly_name == "inspect.test");
    CHECK_FALSE(bag.local_key_id.empty());
  }

  const formats::PfxInfo legacy = formats::inspect_pfx(
      formats::encode_pfx(bundle, "pw", formats::PfxProfile::Legacy), "legacy.pfx", "pw");
  CHECK(legacy.mac_digest == "SHA-1");
  for (const formats::PfxBag& bag : legacy.bags) CHECK(bag.encryption.cipher == "3DES-CBC");
}

TEST_CASE("inspect_pfx without the password still reports the MAC and the certificates' algorithm",
          "[formats][pfx]") {
  const cert::CertBundle bundle = make_self_signed("locked.test");
  const formats::PfxInfo info = formats::inspect_pfx(
      formats::encode_pfx(bundle, "right", formats::PfxProfile::Legacy), "x.pfx", "wrong");
  CHECK_FALSE(info.opened);
  CHECK(info.mac_digest == "SHA-1");
  bool saw_encrypted = false;
  for (const formats::PfxBag& bag : info.bags) {
    if (bag.type == "encrypted") saw_encrypted = bag.encryption.cipher == "3DES-CBC";
  }
  CHECK(saw_encrypted);
}

TEST_CASE("pfx_compatibility: old macOS and Windows refuse PBES2, Java a CA without its trust attribute",
          "[formats][pfx]") {
  const cert::CertBundle bundle = make_self_signed("compat.test");
  const auto modern = formats::pfx_compatibility(
      formats::inspect_pfx(formats::encode_pfx(bundle, "pw", formats::PfxProfile::Modern), "m.pfx", "pw"));
  CHECK(verdict(modern, "openssl3").accepts);
  CHECK_FALSE(verdict(modern, "macos").accepts);
  CHECK_FALSE(verdict(modern, "windows-legacy").accepts);
  CHECK(verdict(modern, "java").accepts);

  const auto legacy = formats::pfx_compatibility(
      formats::inspect_pfx(formats::encode_pfx(bundle, "pw", formats::PfxProfile::Legacy), "l.pfx", "pw"));
  for (const formats::ImporterVerdict& one : legacy) CHECK(one.accepts);

  cert::CertBundle certificate_only;
  certificate_only.certificate = ossl::up_ref(bundle.certificate.get());
  const formats::PfxInfo store = formats::inspect_pfx(
      formats::encode_pfx(certificate_only, "pw", formats::PfxProfile::Java), "t.p12", "pw");
  REQUIRE(store.bags.size() == 1);
  CHECK(store.bags[0].java_trusted);
  CHECK(verdict(formats::pfx_compatibility(store), "java").accepts);

  const auto empty = formats::pfx_compatibility(formats::inspect_pfx(
      formats::encode_pfx(bundle, "", formats::PfxProfile::Legacy), "e.pfx", std::nullopt));
  CHECK_FALSE(verdict(empty, "macos").accepts);
}

TEST_CASE("the macos profile refuses an empty password", "[formats][pfx]") {
  const cert::CertBundle bundle = make_self_signed("mac.test");
  CHECK_THROWS_AS(formats::encode_pfx(bundle, "", formats::PfxProfile::Macos), Error);
}

}  // namespace
}  // namespace krtool::formats_test
