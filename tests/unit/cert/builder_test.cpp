#include "krtool/cert/builder.hpp"

#include <catch2/catch.hpp>

#include "krtool/cert/csr.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"

using namespace krtool::cert;

namespace {

bool verifies_with(X509* leaf, X509* root, int purpose) {
  krtool::ossl::UniquePtr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root);
  krtool::ossl::UniquePtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(context.get(), purpose);
  const bool ok = X509_verify_cert(context.get()) == 1;
  krtool::ossl::drain_errors();
  return ok;
}

CertificateSpec leaf(std::vector<std::string> names) {
  CertificateSpec spec;
  spec.names = std::move(names);
  return spec;
}

}  // namespace

TEST_CASE("a default leaf has Kestrun's shape", "[cert][builder]") {
  const CertBundle bundle = create_certificate(leaf({"localhost", "127.0.0.1", "::1"}));
  const CertificateInfo info = describe(bundle.certificate.get(), true);
  CHECK(info.subject == "CN=localhost");
  CHECK(info.is_self_signed);
  CHECK_FALSE(info.is_certificate_authority);
  CHECK(info.key_type == "RSA");
  CHECK(info.key_size == 2048);
  CHECK(info.dns_names == std::vector<std::string>{"localhost"});
  CHECK(info.ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(info.key_usage == std::vector<std::string>{"KeyEncipherment", "DigitalSignature"});
  CHECK(info.enhanced_key_usage ==
        std::vector<std::string>{"Server Authentication", "Client Authentication"});
  const auto backdate = krtool::now_seconds() - info.not_before;
  CHECK(backdate >= std::chrono::minutes(4));
  CHECK(backdate <= std::chrono::minutes(6));
  CHECK(info.serial_number.size() == 16);  // eight octets, high bit clear, no leading 00
  CHECK(key_matches_certificate(bundle.key.get(), bundle.certificate.get()));
}

TEST_CASE("names are trimmed and de-duplicated case-insensitively", "[cert][builder]") {
  CHECK(normalize_names({" a.example ", "A.EXAMPLE", "", "b"}) == std::vector<std::string>{"a.example", "b"});
  CHECK_THROWS_AS(create_certificate(leaf({" ", ""})), krtool::Error);
}

TEST_CASE("EC and Ed25519 leaves get DigitalSignature only", "[cert][builder]") {
  auto type = GENERATE(KeyType::Ecdsa, KeyType::Ed25519);
  CertificateSpec spec = leaf({"k"});
  spec.key.type = type;
  const CertBundle bundle = create_certificate(spec);
  CHECK(describe(bundle.certificate.get()).key_usage == std::vector<std::string>{"DigitalSignature"});
}

TEST_CASE("a CA has keyCertSign and cRLSign, no EKU and no SAN, and signs leaves that verify",
          "[cert][builder]") {
  CertificateSpec ca_spec = leaf({"ignored.example"});
  ca_spec.subject = "CN=Test CA, O=krtool";
  ca_spec.is_ca = true;
  const CertBundle ca = create_certificate(ca_spec);
  const CertificateInfo ca_info = describe(ca.certificate.get());
  CHECK(ca_info.is_certificate_authority);
  CHECK(ca_info.key_usage == std::vector<std::string>{"CrlSign", "KeyCertSign"});
  CHECK(ca_info.enhanced_key_usage.empty());
  CHECK(ca_info.dns_names.empty());

  CertificateSpec client = leaf({"test-client"});
  client.purpose = Purpose::Client;
  const CertBundle issued = create_certificate(client, &ca);
  CHECK(describe(issued.certificate.get()).issuer == "CN=Test CA, O=krtool");
  REQUIRE(issued.chain.size() == 1);
  CHECK(verifies_with(issued.certificate.get(), ca.certificate.get(), X509_PURPOSE_SSL_CLIENT));
  CHECK_FALSE(verifies_with(issued.certificate.get(), ca.certificate.get(), X509_PURPOSE_SSL_SERVER));
}

TEST_CASE("only a CA with its key may issue", "[cert][builder]") {
  const CertBundle not_ca = create_certificate(leaf({"leaf"}));
  CHECK_THROWS_AS(create_certificate(leaf({"x"}), &not_ca), krtool::Error);
  CertificateSpec ca_spec = leaf({"ca"});
  ca_spec.is_ca = true;
  CertBundle ca = create_certificate(ca_spec);
  ca.key.reset();
  try {
    create_certificate(leaf({"x"}), &ca);
    FAIL("issued without the CA's key");
  } catch (const krtool::Error& e) {
    CHECK(e.code() == krtool::Errc::Input);
    CHECK_FALSE(e.hint().empty());
  }
}

TEST_CASE("explicit validity makes expired certificates", "[cert][builder]") {
  CertificateSpec spec = leaf({"old"});
  const auto now = krtool::now_seconds();
  spec.not_before = now - std::chrono::hours(48);
  spec.not_after = now - std::chrono::hours(24);
  const CertificateInfo info = describe(create_certificate(spec).certificate.get());
  CHECK(info.not_after == now - std::chrono::hours(24));
  spec.not_after = now - std::chrono::hours(72);
  CHECK_THROWS_AS(create_certificate(spec), krtool::Error);
}

TEST_CASE("the development pair is a root and a localhost leaf that verifies against it", "[cert][builder]") {
  const DevelopmentPair pair = create_development_pair(DevelopmentSpec{});
  CHECK(describe(pair.root.certificate.get()).subject == "CN=krtool Development Root CA");
  const CertificateInfo info = describe(pair.leaf.certificate.get());
  CHECK(info.subject == "CN=localhost");
  CHECK(info.ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(std::chrono::duration_cast<std::chrono::hours>(info.not_after - info.not_before).count() ==
        30 * 24 + 0);
  CHECK(verifies_with(pair.leaf.certificate.get(), pair.root.certificate.get(), X509_PURPOSE_SSL_SERVER));
}

TEST_CASE("a CSR carries its names and key, and a CA signs it", "[cert][builder][csr]") {
  CsrSpec spec;
  spec.names = {"api.example", "10.1.2.3"};
  spec.organization = "Acme";
  spec.key.type = KeyType::Ecdsa;
  CsrResult csr = create_request(spec);
  CHECK(format_dn(X509_REQ_get_subject_name(csr.request.get())) == "CN=api.example, O=Acme");
  auto reloaded = load_request(request_to_pem(csr.request.get()), "memory");

  CertificateSpec ca_spec = leaf({"ca"});
  ca_spec.is_ca = true;
  const CertBundle ca = create_certificate(ca_spec);
  CertificateSpec issued_spec;
  issued_spec.purpose = Purpose::Server;
  const CertBundle issued = sign_request(reloaded.get(), issued_spec, ca);
  const CertificateInfo info = describe(issued.certificate.get());
  CHECK(info.dns_names == std::vector<std::string>{"api.example"});
  CHECK(info.ip_addresses == std::vector<std::string>{"10.1.2.3"});
  CHECK(key_matches_certificate(csr.key.get(), issued.certificate.get()));
  CHECK_FALSE(issued.key);
}

TEST_CASE("a tampered CSR is refused", "[cert][csr]") {
  CsrSpec spec;
  spec.names = {"x.example"};
  std::string pem = request_to_pem(create_request(spec).request.get());
  pem[pem.find('\n') + 120] = pem[pem.find('\n') + 120] == 'A' ? 'B' : 'A';
  CHECK_THROWS_AS(load_request(pem, "tampered.csr"), krtool::Error);
}
