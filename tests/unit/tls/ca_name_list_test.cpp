// The CertificateRequest's list of trusted issuers, and who owns each name while it is built.
#include "tls/ca_name_list.hpp"

#include <catch2/catch.hpp>

#include "krtool/cert/name.hpp"
#include "support/error_from.hpp"
#include "unit/tls/tls_fixtures.hpp"

namespace krtool::test {

TEST_CASE("the CA name list holds the trusted CAs' subjects, in order", "[tls][ca-names]") {
  std::vector<ossl::UniquePtr<X509>> cas;
  cas.push_back(ossl::up_ref(pki().client_ca.certificate.get()));
  cas.push_back(ossl::up_ref(pki().other_ca.certificate.get()));
  const ossl::UniquePtr<STACK_OF(X509_NAME)> names = tls::ca_name_list(cas);
  REQUIRE(names != nullptr);
  REQUIRE(sk_X509_NAME_num(names.get()) == 2);
  CHECK(cert::format_dn(sk_X509_NAME_value(names.get(), 0)) == "CN=Client CA, O=krtool tests");
  CHECK(cert::format_dn(sk_X509_NAME_value(names.get(), 1)) == "CN=Other CA, O=elsewhere");
}

// A push that fails leaves the name with its unique_ptr, which frees it: LeakSanitizer (the ASan build
// of CI) fails this test if it does not.
TEST_CASE("a name whose push fails is freed, and the failure is an Error that says what was being done",
          "[tls][ca-names]") {
  ossl::UniquePtr<X509_NAME> name(X509_NAME_dup(X509_get_subject_name(pki().client_ca.certificate.get())));
  REQUIRE(name != nullptr);
  const Error e = error_from([&] { tls::push_owned(nullptr, std::move(name)); });
  CHECK(e.code() == Errc::Internal);
  CHECK_THAT(e.what(), Catch::Contains("building the CA name list: there is no list to add to"));
}

TEST_CASE("a name pushed onto a list belongs to the list", "[tls][ca-names]") {
  ossl::UniquePtr<STACK_OF(X509_NAME)> names(sk_X509_NAME_new_null());
  REQUIRE(names != nullptr);
  ossl::UniquePtr<X509_NAME> name(X509_NAME_dup(X509_get_subject_name(pki().other_ca.certificate.get())));
  REQUIRE(name != nullptr);
  const X509_NAME* pushed = name.get();
  tls::push_owned(names.get(), std::move(name));
  REQUIRE(sk_X509_NAME_num(names.get()) == 1);
  CHECK(sk_X509_NAME_value(names.get(), 0) == pushed);  // freed with the list, once
}

}  // namespace krtool::test
