#include <catch2/catch.hpp>

#include "formats_fixtures.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/formats/load.hpp"

namespace krtool::formats_test {
namespace {

using formats::Format;

TEST_CASE("detect_format tells PEM, PKCS#12 and DER apart by content", "[formats][detect]") {
  const cert::CertBundle bundle = make_self_signed("detect.test");
  CHECK(formats::detect_format(formats::encode_pem_certificates(bundle, true)) == Format::Pem);
  CHECK(formats::detect_format(formats::encode_pem_key(bundle.key.get(), std::nullopt)) == Format::Pem);
  CHECK(formats::detect_format(formats::encode_pfx(bundle, "pw", formats::PfxProfile::Modern)) ==
        Format::Pfx);
  CHECK(formats::detect_format(formats::encode_pfx(bundle, "pw", formats::PfxProfile::Legacy)) ==
        Format::Pfx);
  CHECK(formats::detect_format(formats::encode_der_certificate(bundle.certificate.get())) == Format::Der);
}

TEST_CASE("detect_format finds a PEM block after leading text", "[formats][detect]") {
  const cert::CertBundle bundle = make_self_signed("bag.test");
  const std::string with_bag_attributes =
      "Bag Attributes\n    friendlyName: bag.test\nsubject=CN=bag.test\n" +
      formats::encode_pem_certificate(bundle.certificate.get());
  CHECK(formats::detect_format(with_bag_attributes) == Format::Pem);
}

TEST_CASE("detect_format rejects random bytes, empty input and a truncated DER certificate",
          "[formats][detect]") {
  CHECK_FALSE(formats::detect_format("").has_value());
  CHECK_FALSE(formats::detect_format(std::string("\x8f\x13\xa0\x55\x01\xfe\x77\x00\x42", 9)).has_value());
  CHECK_FALSE(formats::detect_format("just some text, not a certificate\n").has_value());
  const std::string der = formats::encode_der_certificate(make_self_signed("cut.test").certificate.get());
  CHECK_FALSE(formats::detect_format(der.substr(0, der.size() / 2)).has_value());
}

TEST_CASE("format_name spells the three formats", "[formats][detect]") {
  CHECK(formats::format_name(Format::Pfx) == "PKCS#12");
  CHECK(formats::format_name(Format::Pem) == "PEM");
  CHECK(formats::format_name(Format::Der) == "DER");
}

TEST_CASE("format_from_extension maps .pfx .p12 .pem .crt .der .cer case-insensitively", "[formats][names]") {
  CHECK(formats::format_from_extension("a/b/server.pfx") == Format::Pfx);
  CHECK(formats::format_from_extension("server.P12") == Format::Pfx);
  CHECK(formats::format_from_extension("server.pem") == Format::Pem);
  CHECK(formats::format_from_extension("server.CRT") == Format::Pem);
  CHECK(formats::format_from_extension("server.der") == Format::Der);
  CHECK(formats::format_from_extension("server.cer") == Format::Der);
  CHECK_FALSE(formats::format_from_extension("server.key").has_value());
  CHECK_FALSE(formats::format_from_extension("server").has_value());
  CHECK_FALSE(formats::format_from_extension("pem").has_value());
}

TEST_CASE("format_from_name accepts pfx, p12, pem and der and rejects others as usage errors",
          "[formats][names]") {
  CHECK(formats::format_from_name("PFX") == Format::Pfx);
  CHECK(formats::format_from_name("p12") == Format::Pfx);
  CHECK(formats::format_from_name("Pem") == Format::Pem);
  CHECK(formats::format_from_name("der") == Format::Der);
  const Error error = error_from([] { formats::format_from_name("jks"); });
  CHECK(error.code() == Errc::Usage);
  CHECK_THAT(error.what(), Catch::Contains("--format") && Catch::Contains("jks"));
  CHECK_THAT(error.hint(), Catch::Contains("pfx, pem or der"));
}

TEST_CASE("parse_pfx_profile accepts modern, legacy, java and macos in any case", "[formats][names]") {
  CHECK(formats::parse_pfx_profile("modern") == formats::PfxProfile::Modern);
  CHECK(formats::parse_pfx_profile("LEGACY") == formats::PfxProfile::Legacy);
  CHECK(formats::parse_pfx_profile("Java") == formats::PfxProfile::Java);
  CHECK(formats::parse_pfx_profile("macos") == formats::PfxProfile::Macos);
  const Error error = error_from([] { formats::parse_pfx_profile("ancient"); });
  CHECK(error.code() == Errc::Usage);
  CHECK_THAT(error.what(), Catch::Contains("--pfx-profile") && Catch::Contains("ancient"));
  CHECK_THAT(error.hint(), Catch::Contains("modern") && Catch::Contains("legacy") &&
                               Catch::Contains("java") && Catch::Contains("macos"));
}

}  // namespace
}  // namespace krtool::formats_test
