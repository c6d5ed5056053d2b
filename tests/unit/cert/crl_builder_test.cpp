#include "krtool/cert/crl_builder.hpp"

#include <catch2/catch.hpp>

#include "krtool/cert/builder.hpp"
#include "krtool/cert/crl.hpp"
#include "krtool/error.hpp"
#include "unit/cert/revocation_fixtures.hpp"

using namespace krtool;
using namespace krtool::cert;
using krtool::test::ec_spec;
using krtool::test::kT0;

namespace {

long reason_code(X509_REVOKED* entry) {
  int critical = 0;
  ossl::UniquePtr<ASN1_STRING> code(
      static_cast<ASN1_STRING*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr)));
  return code ? ASN1_ENUMERATED_get(code.get()) : -1;
}

}  // namespace

TEST_CASE("a CRL is signed by its CA and carries number, times, serials and reasons", "[cert][crl]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle alice = create_certificate(ec_spec("alice", false), &ca);
  CrlSpec spec;
  spec.this_update = kT0;
  spec.next_update = kT0 + std::chrono::hours(24 * 7);
  spec.crl_number = 42;
  spec.revoked.push_back({serial_hex(alice.certificate.get()), kT0, RevocationReason::KeyCompromise});
  spec.revoked.push_back({"0ABC", kT0, RevocationReason::Unspecified});
  const ossl::UniquePtr<X509_CRL> crl = build_crl(ca, spec);

  CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.certificate.get())) == 1);
  CHECK(X509_CRL_get_version(crl.get()) == X509_CRL_VERSION_2);
  CHECK(from_asn1_time(X509_CRL_get0_lastUpdate(crl.get()), "thisUpdate") == kT0);
  CHECK(from_asn1_time(X509_CRL_get0_nextUpdate(crl.get()), "nextUpdate") == spec.next_update);
  ossl::UniquePtr<ASN1_INTEGER> number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  REQUIRE(number != nullptr);
  CHECK(ASN1_INTEGER_get(number.get()) == 42);
  CHECK(X509_CRL_get_ext_by_NID(crl.get(), NID_authority_key_identifier, -1) >= 0);

  X509_REVOKED* entry = nullptr;
  REQUIRE(X509_CRL_get0_by_cert(crl.get(), &entry, alice.certificate.get()) == 1);
  CHECK(reason_code(entry) == 1);
  const ossl::UniquePtr<ASN1_INTEGER> other = serial_integer("0ABC");
  REQUIRE(X509_CRL_get0_by_serial(crl.get(), &entry, other.get()) == 1);
  CHECK(reason_code(entry) == -1);  // unspecified is left out, as RFC 5280 asks

  // Both encodings read back through the loader that test-cert --crl uses.
  CHECK(load_crls_from_bytes(crl_pem(crl.get()), "pem").size() == 1);
  CHECK(load_crls_from_bytes(crl_der(crl.get()), "der").size() == 1);
}

TEST_CASE("a CRL needs a CA with its key and a nextUpdate after thisUpdate", "[cert][crl]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  CrlSpec spec;
  spec.this_update = kT0;
  spec.next_update = kT0;
  CHECK_THROWS_WITH(build_crl(ca, spec), Catch::Contains("not after its thisUpdate"));
  spec.next_update = kT0 + std::chrono::hours(1);
  const CertBundle leaf = create_certificate(ec_spec("alice", false), &ca);
  CHECK_THROWS_WITH(build_crl(leaf, spec), Catch::Contains("not a certificate authority"));
  CertBundle without_key;
  without_key.certificate = ossl::up_ref(ca.certificate.get());
  CHECK_THROWS_WITH(build_crl(without_key, spec), Catch::Contains("no private key"));
}
