#include <catch2/catch.hpp>

#include "../formats/formats_fixtures.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/trust/store.hpp"
#include "krtool/util/files.hpp"

namespace krtool::formats_test {
namespace {

TEST_CASE("load_ca takes a CA and refuses a leaf, naming the file", "[trust]") {
  const ScratchDir dir;
  const cert::CertBundle ca = make_ca("Trust Unit CA");
  const cert::CertBundle leaf = make_self_signed("leaf.test");
  files::write_file(dir / "ca.pem", formats::encode_pem_certificate(ca.certificate.get()),
                    files::FileMode::Public, false, "test");
  files::write_file(dir / "leaf.pem", formats::encode_pem_certificate(leaf.certificate.get()),
                    files::FileMode::Public, false, "test");
  CHECK(X509_cmp(trust::load_ca(dir / "ca.pem").get(), ca.certificate.get()) == 0);
  const Error error = error_from([&] { trust::load_ca(dir / "leaf.pem"); });
  CHECK(error.code() == Errc::Input);
  CHECK_THAT(error.what(), Catch::Contains("leaf.pem") && Catch::Contains("is not a CA certificate"));
}

TEST_CASE("entry_name tells apart two roots with the same subject", "[trust]") {
  const cert::CertBundle first = make_ca("Same Name CA");
  const cert::CertBundle second = make_ca("Same Name CA");
  const std::string name = trust::entry_name(first.certificate.get());
  CHECK(name.starts_with("krtool-"));
  CHECK(name.size() == 7 + 16);
  CHECK(name != trust::entry_name(second.certificate.get()));
}

}  // namespace
}  // namespace krtool::formats_test
