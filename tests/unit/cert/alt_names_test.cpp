// One classifier for the names given with --dns, one encoder for them, and one signing digest: what
// new-selfsigned and new-csr share.
#include "krtool/cert/alt_names.hpp"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "krtool/cert/csr.hpp"
#include "krtool/cert/key.hpp"
#include "krtool/error.hpp"

using namespace krtool;
using namespace krtool::cert;

namespace {

// san_types lists the GEN_* type of each subject alternative name of a request.
std::vector<int> san_types(X509_REQ* request) {
  ossl::UniquePtr<STACK_OF(X509_EXTENSION)> extensions(X509_REQ_get_extensions(request));
  REQUIRE(extensions != nullptr);
  std::vector<int> types;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
    X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) continue;
    ossl::UniquePtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
    REQUIRE(names != nullptr);
    for (int j = 0; j < sk_GENERAL_NAME_num(names.get()); ++j)
      types.push_back(sk_GENERAL_NAME_value(names.get(), j)->type);
  }
  return types;
}

}  // namespace

TEST_CASE("a name is an IP address, a URI, an e-mail address or else a DNS name", "[cert][names]") {
  CHECK(classify_name("10.0.0.1") == NameKind::Ip);
  CHECK(classify_name("::1") == NameKind::Ip);
  CHECK(classify_name("fe80::1") == NameKind::Ip);
  CHECK(classify_name("spiffe://example/alice") == NameKind::Uri);
  CHECK(classify_name("alice@example.com") == NameKind::Email);
  CHECK(classify_name("alice.example") == NameKind::Dns);
  CHECK(classify_name("*.example") == NameKind::Dns);
  CHECK(classify_name("10.0.0") == NameKind::Dns);  // not an address: inet_pton wants four parts
  CHECK_FALSE(is_ip_address("[::1]"));
}

TEST_CASE("a CSR encodes each name by its kind, as a certificate does", "[cert][names][csr]") {
  CsrSpec spec;
  spec.names = {"alice.example", "alice@example.com", "10.0.0.2", "spiffe://example/alice"};
  spec.key.type = KeyType::Ecdsa;
  const CsrResult result = create_request(spec);
  CHECK(san_types(result.request.get()) == std::vector<int>{GEN_DNS, GEN_EMAIL, GEN_IPADD, GEN_URI});
}

TEST_CASE("a DNS name with characters DNS does not allow is a usage error naming the flag", "[cert][names]") {
  try {
    subject_alt_names({"bad name!"});
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.code() == Errc::Usage);
    CHECK_THAT(std::string(error.what()), Catch::StartsWith("--dns: 'bad name!'"));
  }
}

TEST_CASE("the signing digest follows the key's strength", "[cert][names][digest]") {
  CHECK(signing_digest(generate_key({KeyType::Ecdsa, 2048, Curve::P256}).get()) == EVP_sha256());
  CHECK(signing_digest(generate_key({KeyType::Ecdsa, 2048, Curve::P384}).get()) == EVP_sha384());
  CHECK(signing_digest(generate_key({KeyType::Ecdsa, 2048, Curve::P521}).get()) == EVP_sha512());
  CHECK(signing_digest(generate_key({KeyType::Ed25519, 2048, Curve::P256}).get()) == nullptr);
  CHECK(signing_digest(generate_key({KeyType::Rsa, 2048, Curve::P256}).get()) == EVP_sha256());
}
