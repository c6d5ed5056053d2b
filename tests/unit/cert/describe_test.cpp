#include "krtool/cert/describe.hpp"

#include <catch2/catch.hpp>

#include "krtool/cert/builder.hpp"

using namespace krtool::cert;

TEST_CASE("thumbprints are uppercase hex without separators, as .NET prints them", "[cert][describe]") {
  CertificateSpec spec;
  spec.names = {"t"};
  const CertBundle bundle = create_certificate(spec);
  const CertificateInfo info = describe(bundle.certificate.get());
  CHECK(info.thumbprint.size() == 40);
  CHECK(info.thumbprint_sha256.size() == 64);
  CHECK(info.thumbprint.find_first_not_of("0123456789ABCDEF") == std::string::npos);
  unsigned char sha1[20];
  unsigned int length = 0;
  X509_digest(bundle.certificate.get(), EVP_sha1(), sha1, &length);
  char first[3];
  std::snprintf(first, sizeof first, "%02X", sha1[0]);
  CHECK(info.thumbprint.substr(0, 2) == first);
}

TEST_CASE("a serial number with its high bit set keeps the leading 00, as .NET", "[cert][describe]") {
  CertificateSpec spec;
  spec.names = {"s"};
  CertBundle bundle = create_certificate(spec);
  krtool::ossl::UniquePtr<BIGNUM> big(nullptr);
  BIGNUM* raw = nullptr;
  BN_hex2bn(&raw, "80FF");
  big.reset(raw);
  krtool::ossl::UniquePtr<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(big.get(), nullptr));
  X509_set_serialNumber(bundle.certificate.get(), serial.get());
  CHECK(serial_number(bundle.certificate.get()) == "0080FF");
}

TEST_CASE("the JSON description has the contract's field names", "[cert][describe]") {
  CertificateSpec spec;
  spec.names = {"j.example", "192.0.2.1"};
  const CertBundle bundle = create_certificate(spec);
  const nlohmann::json j = bundle_to_json(bundle);
  for (const char* field :
       {"subject", "issuer", "thumbprint", "thumbprintSha256", "serialNumber", "notBefore", "notAfter",
        "dnsNames", "ipAddresses", "keyType", "keySize", "isCertificateAuthority", "isSelfSigned", "keyUsage",
        "enhancedKeyUsage", "hasPrivateKey", "chain"}) {
    INFO(field);
    CHECK(j.contains(field));
  }
  CHECK(j["hasPrivateKey"] == true);
  CHECK(j["ipAddresses"] == nlohmann::json::array({"192.0.2.1"}));
  CHECK(j["notBefore"].get<std::string>().back() == 'Z');
}
