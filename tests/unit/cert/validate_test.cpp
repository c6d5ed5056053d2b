// test-cert's checks (Test-KrCertificate): validity, self-signed policy, chain, purpose, weak algorithms,
// in that order, the first failure being the reason. Certificates come from cert::create_certificate,
// or from the openssl CLI where krtool deliberately cannot make them (weak keys, SHA-1, a CA's CRL).
#include "krtool/cert/validate.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "krtool/cert/builder.hpp"
#include "krtool/cert/crl.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"

namespace fs = std::filesystem;
using namespace krtool;
using namespace krtool::cert;
using std::chrono::days;

namespace {

// Workspace is a fresh folder under KRTOOL_TEST_TMP where the openssl CLI makes fixtures.
class Workspace {
 public:
  Workspace() {
    fs::create_directories(KRTOOL_TEST_TMP);
    std::string pattern = std::string(KRTOOL_TEST_TMP) + "/validate.XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }
  ~Workspace() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  fs::path path(const std::string& name) const { return dir_ / name; }

  // openssl runs one command line inside the folder and requires it to succeed.
  void openssl(const std::string& arguments) const {
    const std::string command = "cd '" + dir_.string() + "' && openssl " + arguments + " >/dev/null 2>&1";
    INFO(command);
    REQUIRE(std::system(command.c_str()) == 0);
  }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(path(name));
    out << text;
    REQUIRE(out.good());
  }

  ossl::UniquePtr<X509> certificate(const std::string& name) const {
    auto certificates = formats::load_certificates(path(name));
    REQUIRE(certificates.size() == 1);
    return std::move(certificates.front());
  }

 private:
  fs::path dir_;
};

ossl::UniquePtr<X509> copy_of(X509* certificate) { return ossl::up_ref(certificate); }

// ECDSA keys: quick to make; RSA and its weak sizes are the openssl-made certificates' part below.
CertificateSpec leaf_spec(const std::string& name, Purpose purpose = Purpose::Both) {
  CertificateSpec spec;
  spec.names = {name};
  spec.purpose = purpose;
  spec.key.type = KeyType::Ecdsa;
  return spec;
}

CertificateSpec ca_spec(const std::string& subject) {
  CertificateSpec spec;
  spec.subject = subject;
  spec.key.type = KeyType::Ecdsa;
  spec.is_ca = true;
  spec.valid_days = 3650;
  return spec;
}

// Hierarchy is a root CA, an intermediate CA it signed, and a leaf the intermediate signed.
struct Hierarchy {
  CertBundle root = create_certificate(ca_spec("CN=Validate Root CA"));
  CertBundle intermediate = create_certificate(ca_spec("CN=Validate Intermediate CA"), &root);
  CertBundle leaf = create_certificate(leaf_spec("leaf.example"), &intermediate);
};

ValidationResult validate(X509* certificate, ValidationOptions options = {}) {
  return validate_certificate(certificate, options);
}

}  // namespace

TEST_CASE("a fresh self-signed certificate with both purposes is valid", "[cert][validate]") {
  const CertBundle bundle = create_certificate(leaf_spec("alice.example"));
  const ValidationResult result = validate(bundle.certificate.get());
  CHECK(result.valid);
  CHECK(result.reason.empty());
  CHECK(result.subject == "CN=alice.example");
  CHECK(result.thumbprint.size() == 40);
  CHECK(result.purposes == std::vector<std::string>{"Server Authentication", "Client Authentication"});
  CHECK(result.chain == std::vector<std::string>{"CN=alice.example"});
}

TEST_CASE("an expired certificate is outside its validity period and says when it expired",
          "[cert][validate][validity]") {
  CertificateSpec spec = leaf_spec("old.example");
  spec.not_before = from_time_t(1'700'000'000);  // 2023-11-14T22:13:20Z
  spec.not_after = from_time_t(1'700'000'000 + 86'400);
  const CertBundle bundle = create_certificate(spec);
  const ValidationResult result = validate(bundle.certificate.get());
  CHECK_FALSE(result.valid);
  CHECK(result.reason == "Certificate is outside validity period. (expired 2023-11-15T22:13:20Z)");
}

TEST_CASE("a certificate checked before its start is outside its validity period",
          "[cert][validate][validity]") {
  const CertBundle bundle = create_certificate(leaf_spec("soon.example"));
  ValidationOptions options;
  options.at = now_seconds() - days(1);
  const ValidationResult result = validate(bundle.certificate.get(), std::move(options));
  CHECK_FALSE(result.valid);
  CHECK_THAT(result.reason,
             Catch::StartsWith("Certificate is outside validity period. (not valid before 20"));
}

TEST_CASE("the validation time decides validity: valid now, expired a year from now",
          "[cert][validate][validity]") {
  const CertBundle bundle = create_certificate(leaf_spec("year.example"));  // 365 days
  ValidationOptions later;
  later.at = now_seconds() + days(400);
  CHECK(validate(bundle.certificate.get()).valid);
  CHECK_THAT(validate(bundle.certificate.get(), std::move(later)).reason, Catch::Contains("(expired "));
}

TEST_CASE("a self-signed certificate whose signature was damaged fails the chain check",
          "[cert][validate][chain]") {
  const CertBundle bundle = create_certificate(leaf_spec("damaged.example"));
  unsigned char* der = nullptr;
  const int length = i2d_X509(bundle.certificate.get(), &der);
  REQUIRE(length > 0);
  ossl::UniquePtr<unsigned char> owned(der);
  owned.get()[length - 3] ^= 0x01;  // inside the signature BIT STRING, the DER's last field
  const unsigned char* cursor = owned.get();
  ossl::UniquePtr<X509> damaged(d2i_X509(nullptr, &cursor, length));
  REQUIRE(damaged != nullptr);
  CHECK(validate(damaged.get()).reason ==
        "Certificate chain validation failed: NotSignatureValid: certificate signature failure (depth 0, "
        "'CN=damaged.example')");
}

TEST_CASE("deny-self-signed rejects a self-signed certificate", "[cert][validate][self-signed]") {
  const CertBundle bundle = create_certificate(leaf_spec("selfie.example"));
  ValidationOptions options;
  options.deny_self_signed = true;
  const ValidationResult result = validate(bundle.certificate.get(), std::move(options));
  CHECK_FALSE(result.valid);
  CHECK(result.reason == "Self-signed certificates are denied by policy.");
}

TEST_CASE("deny-self-signed accepts a certificate issued by a CA", "[cert][validate][self-signed]") {
  const Hierarchy pki;
  ValidationOptions options;
  options.deny_self_signed = true;
  options.chain.push_back(copy_of(pki.intermediate.certificate.get()));
  options.trust_ca.push_back(copy_of(pki.root.certificate.get()));
  const ValidationResult result = validate(pki.leaf.certificate.get(), std::move(options));
  CHECK(result.valid);
  CHECK(result.reason.empty());
}

TEST_CASE("validity is checked before the self-signed policy", "[cert][validate][order]") {
  CertificateSpec spec = leaf_spec("expired-selfie.example");
  spec.not_before = now_seconds() - days(30);
  spec.not_after = now_seconds() - days(1);
  const CertBundle bundle = create_certificate(spec);
  ValidationOptions options;
  options.deny_self_signed = true;
  const ValidationResult result = validate(bundle.certificate.get(), std::move(options));
  CHECK_THAT(result.reason, Catch::StartsWith("Certificate is outside validity period."));
}

TEST_CASE("a root given as a chain member is not trusted: only trust-ca (or the system store) anchors",
          "[cert][validate][chain][trust]") {
  const Hierarchy pki;
  const CertBundle stranger = create_certificate(ca_spec("CN=Unrelated Root CA"));
  ValidationOptions options;
  options.chain.push_back(copy_of(pki.root.certificate.get()));
  options.chain.push_back(copy_of(pki.intermediate.certificate.get()));
  options.trust_ca.push_back(copy_of(stranger.certificate.get()));
  const ValidationResult result = validate(pki.leaf.certificate.get(), std::move(options));
  CHECK_FALSE(result.valid);
  CHECK(result.reason ==
        "Certificate chain validation failed: UntrustedRoot: self-signed certificate in certificate chain "
        "(depth 2, 'CN=Validate Root CA')");
  CHECK(result.chain ==
        std::vector<std::string>{"CN=leaf.example", "CN=Validate Intermediate CA", "CN=Validate Root CA"});
}

TEST_CASE("a trusted CA given with trust-ca anchors the chain", "[cert][validate][chain]") {
  const Hierarchy pki;
  ValidationOptions options;
  options.trust_ca.push_back(copy_of(pki.root.certificate.get()));
  options.chain.push_back(copy_of(pki.intermediate.certificate.get()));
  CHECK(validate(pki.leaf.certificate.get(), std::move(options)).valid);
}

TEST_CASE("a missing intermediate fails the chain check and names the missing issuer",
          "[cert][validate][chain]") {
  const Hierarchy pki;
  ValidationOptions options;
  options.trust_ca.push_back(copy_of(pki.root.certificate.get()));
  const ValidationResult result = validate(pki.leaf.certificate.get(), std::move(options));
  CHECK_FALSE(result.valid);
  CHECK(result.reason ==
        "Certificate chain validation failed: PartialChain: unable to get local issuer certificate "
        "(depth 0, 'CN=leaf.example', issued by 'CN=Validate Intermediate CA')");
}

TEST_CASE("a root that did not issue the chain is not trusted", "[cert][validate][chain]") {
  const Hierarchy pki;
  const CertBundle stranger = create_certificate(ca_spec("CN=Unrelated Root CA"));
  ValidationOptions options;
  options.trust_ca.push_back(copy_of(stranger.certificate.get()));
  options.chain.push_back(copy_of(pki.intermediate.certificate.get()));
  const ValidationResult result = validate(pki.leaf.certificate.get(), std::move(options));
  CHECK_FALSE(result.valid);
  CHECK_THAT(result.reason,
             Catch::StartsWith("Certificate chain validation failed: PartialChain: unable to get"));
  CHECK_THAT(result.reason,
             Catch::Contains("depth 1, 'CN=Validate Intermediate CA', issued by 'CN=Validate Root CA'"));
}

TEST_CASE("without a root given, the system store decides, which does not know a private CA",
          "[cert][validate][chain]") {
  const Hierarchy pki;
  ValidationOptions options;
  options.chain.push_back(copy_of(pki.intermediate.certificate.get()));
  const ValidationResult result = validate(pki.leaf.certificate.get(), std::move(options));
  CHECK_FALSE(result.valid);
  CHECK_THAT(result.reason, Catch::Contains("issued by 'CN=Validate Root CA'"));
  CHECK(result.chain == std::vector<std::string>{"CN=leaf.example", "CN=Validate Intermediate CA"});
}

TEST_CASE("an expired intermediate fails the chain check at depth 1", "[cert][validate][chain]") {
  const CertBundle root = create_certificate(ca_spec("CN=Validate Root CA"));
  CertificateSpec stale = ca_spec("CN=Stale Intermediate CA");
  stale.not_before = now_seconds() - days(60);
  stale.not_after = now_seconds() - days(1);
  const CertBundle intermediate = create_certificate(stale, &root);
  CertificateSpec fresh = leaf_spec("fresh.example");
  fresh.not_before = now_seconds() - days(30);
  fresh.not_after = now_seconds() + days(30);
  const CertBundle leaf = create_certificate(fresh, &intermediate);
  ValidationOptions options;
  options.chain.push_back(copy_of(intermediate.certificate.get()));
  options.trust_ca.push_back(copy_of(root.certificate.get()));
  const ValidationResult result = validate(leaf.certificate.get(), std::move(options));
  CHECK(result.reason ==
        "Certificate chain validation failed: NotTimeValid: certificate has expired (depth 1, 'CN=Stale "
        "Intermediate CA')");
}

TEST_CASE("the chain is verified at the validation time, not now", "[cert][validate][chain]") {
  const CertBundle root = create_certificate(ca_spec("CN=Validate Root CA"));
  CertificateSpec future = ca_spec("CN=Future Intermediate CA");
  future.not_before = now_seconds() + days(10);
  future.not_after = now_seconds() + days(100);
  const CertBundle intermediate = create_certificate(future, &root);
  CertificateSpec leaf_now = leaf_spec("now.example");
  leaf_now.not_before = now_seconds() - days(1);
  leaf_now.not_after = now_seconds() + days(30);
  const CertBundle leaf = create_certificate(leaf_now, &intermediate);
  const auto options_at = [&](std::optional<TimePoint> at) {
    ValidationOptions options;
    options.chain.push_back(copy_of(intermediate.certificate.get()));
    options.trust_ca.push_back(copy_of(root.certificate.get()));
    options.at = at;
    return options;
  };
  CHECK(
      validate(leaf.certificate.get(), options_at(std::nullopt)).reason ==
      "Certificate chain validation failed: NotTimeValid: certificate is not yet valid (depth 1, 'CN=Future "
      "Intermediate CA')");
  CHECK(validate(leaf.certificate.get(), options_at(now_seconds() + days(11))).valid);
}

TEST_CASE("the chain is checked before the purpose", "[cert][validate][order]") {
  const Hierarchy pki;
  ValidationOptions options;
  options.expected_purposes = {"1.3.6.1.5.5.7.3.3"};  // code signing, which the leaf lacks
  const ValidationResult result = validate(pki.leaf.certificate.get(), std::move(options));
  CHECK_THAT(result.reason, Catch::StartsWith("Certificate chain validation failed:"));
}

TEST_CASE("an expected purpose must be among the certificate's EKU", "[cert][validate][purpose]") {
  const CertBundle client = create_certificate(leaf_spec("client.example", Purpose::Client));
  ValidationOptions wants_client;
  wants_client.expected_purposes = {kClientAuthOid};
  CHECK(validate(client.certificate.get(), std::move(wants_client)).valid);

  ValidationOptions wants_server;
  wants_server.expected_purposes = {kServerAuthOid};
  const ValidationResult result = validate(client.certificate.get(), std::move(wants_server));
  CHECK_FALSE(result.valid);
  CHECK(result.reason ==
        "EKU purpose mismatch. (expected Server Authentication; certificate has Client Authentication)");
}

TEST_CASE("strict purpose needs the EKU to equal the expected purposes", "[cert][validate][purpose]") {
  const CertBundle both = create_certificate(leaf_spec("both.example", Purpose::Both));
  ValidationOptions subset;
  subset.expected_purposes = {kClientAuthOid};
  CHECK(validate(both.certificate.get(), std::move(subset)).valid);

  ValidationOptions strict;
  strict.expected_purposes = {kClientAuthOid};
  strict.strict_purpose = true;
  const ValidationResult result = validate(both.certificate.get(), std::move(strict));
  CHECK_FALSE(result.valid);
  CHECK(
      result.reason ==
      "EKU purpose mismatch. (expected exactly Client Authentication; certificate has Server Authentication, "
      "Client Authentication)");

  ValidationOptions strict_equal;
  strict_equal.expected_purposes = {kClientAuthOid, kServerAuthOid};
  strict_equal.strict_purpose = true;
  CHECK(validate(both.certificate.get(), std::move(strict_equal)).valid);
}

TEST_CASE("a certificate without EKU fails when a purpose is expected, and passes when none is",
          "[cert][validate][purpose]") {
  const CertBundle bare = create_certificate(leaf_spec("bare.example", Purpose::None));
  const ValidationResult unasked = validate(bare.certificate.get());
  CHECK(unasked.valid);
  CHECK(unasked.purposes.empty());

  ValidationOptions options;
  options.expected_purposes = {kClientAuthOid};
  const ValidationResult result = validate(bare.certificate.get(), std::move(options));
  CHECK(result.reason == "EKU purpose mismatch. (expected Client Authentication; certificate has no EKU)");
}

TEST_CASE("certificate purposes are friendly names, else the OID", "[cert][validate][purpose]") {
  Workspace work;
  work.openssl(
      "req -x509 -newkey rsa:2048 -nodes -keyout custom.key -out custom.pem -subj /CN=custom -days 30 "
      "-addext extendedKeyUsage=clientAuth,1.3.6.1.4.1.55555.7");
  const auto certificate = work.certificate("custom.pem");
  CHECK(certificate_purposes(certificate.get()) ==
        std::vector<std::string>{"Client Authentication", "1.3.6.1.4.1.55555.7"});
}

TEST_CASE("an RSA 1024 key is weak unless weak algorithms are allowed", "[cert][validate][weak]") {
  Workspace work;
  work.openssl(
      "req -x509 -newkey rsa:1024 -sha256 -nodes -keyout weak.key -out weak.pem -subj /CN=weak -days 30");
  const auto certificate = work.certificate("weak.pem");
  CHECK(validate(certificate.get()).reason == "RSA key size 1024 < 2048");

  ValidationOptions allow;
  allow.allow_weak_algorithms = true;
  const ValidationResult allowed = validate(certificate.get(), std::move(allow));
  CHECK(allowed.valid);
  CHECK(allowed.chain == std::vector<std::string>{"CN=weak"});
}

TEST_CASE("a SHA-1 signature is weak, and findings are joined by '; '", "[cert][validate][weak]") {
  Workspace work;
  work.openssl(
      "req -x509 -newkey rsa:2048 -sha1 -nodes -keyout sha1.key -out sha1.pem -subj /CN=sha1 -days 30");
  work.openssl(
      "req -x509 -newkey rsa:1024 -sha1 -nodes -keyout both.key -out both.pem -subj /CN=both -days 30");
  CHECK(validate(work.certificate("sha1.pem").get()).reason == "SHA-1 signature (sha1WithRSAEncryption)");
  CHECK(validate(work.certificate("both.pem").get()).reason ==
        "SHA-1 signature (sha1WithRSAEncryption); RSA key size 1024 < 2048");
}

TEST_CASE("an EC key under 256 bits is weak; Ed25519 and P-256 are not", "[cert][validate][weak]") {
  Workspace work;
  work.openssl(
      "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-224 -nodes -keyout ec.key -out ec.pem -subj "
      "/CN=ec224 "
      "-days 30");
  CHECK(validate(work.certificate("ec.pem").get()).reason == "EC key size 224 < 256");

  CertificateSpec ed = leaf_spec("ed.example");
  ed.key.type = KeyType::Ed25519;
  CHECK(validate(create_certificate(ed).certificate.get()).valid);
  CertificateSpec p256 = leaf_spec("p256.example");
  p256.key.type = KeyType::Ecdsa;
  CHECK(validate(create_certificate(p256).certificate.get()).valid);
}

TEST_CASE("the purpose is checked before weak algorithms", "[cert][validate][order]") {
  Workspace work;
  work.openssl(
      "req -x509 -newkey rsa:1024 -sha256 -nodes -keyout weak.key -out weak.pem -subj /CN=weak -days 30 "
      "-addext extendedKeyUsage=clientAuth");
  ValidationOptions options;
  options.expected_purposes = {kServerAuthOid};
  CHECK_THAT(validate(work.certificate("weak.pem").get(), std::move(options)).reason,
             Catch::StartsWith("EKU purpose mismatch."));
}

TEST_CASE("a weak chained certificate is still chain-checked when weak algorithms are allowed",
          "[cert][validate][weak][chain]") {
  Workspace work;
  work.openssl(
      "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj '/CN=Weak Test CA' -days 30");
  work.openssl("req -new -newkey rsa:1024 -nodes -keyout leaf.key -out leaf.csr -subj /CN=weakleaf");
  work.openssl(
      "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -out leaf.pem");
  ValidationOptions options;
  options.allow_weak_algorithms = true;  // skips the chain only for self-signed certificates
  CHECK_THAT(validate(work.certificate("leaf.pem").get(), std::move(options)).reason,
             Catch::Contains("issued by 'CN=Weak Test CA'"));
}

// RevocationFixture is a CA run by `openssl ca` that issued `good` and `revoked`, revoked the latter
// and published root.crl.
class RevocationFixture {
 public:
  RevocationFixture() {
    work_.write("index.txt", "");
    work_.write("serial", "1000\n");
    work_.write("crlnumber", "1000\n");
    work_.write("ca.cnf", R"([ca]
default_ca = dev
[dev]
dir = .
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/root.pem
private_key = $dir/root.key
default_md = sha256
default_days = 30
default_crl_days = 7
policy = anything
unique_subject = no
x509_extensions = leaf
[anything]
commonName = supplied
[leaf]
basicConstraints = CA:false
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
)");
    work_.openssl(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem "
        "-subj '/CN=CRL Test Root' -days 30 "
        "-addext basicConstraints=critical,CA:true -addext keyUsage=keyCertSign,cRLSign");
    for (const char* name : {"good", "revoked"}) {
      const std::string n = name;
      work_.openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + n +
                    ".key -out " + n + ".csr -subj /CN=" + n);
      work_.openssl("ca -batch -config ca.cnf -in " + n + ".csr -out " + n + ".pem -notext");
    }
    work_.openssl("ca -config ca.cnf -revoke revoked.pem");
    work_.openssl("ca -config ca.cnf -gencrl -out root.crl");
    work_.openssl("crl -in root.crl -outform DER -out root.crl.der");
  }

  ValidationOptions options(bool check_revocation, const std::string& crl_file = "root.crl") const {
    ValidationOptions options;
    options.trust_ca.push_back(work_.certificate("root.pem"));
    options.check_revocation = check_revocation;
    if (!crl_file.empty()) options.crls = load_crls(work_.path(crl_file));
    return options;
  }

  ValidationResult check(const std::string& leaf, ValidationOptions options) const {
    return validate_certificate(work_.certificate(leaf + ".pem").get(), options);
  }

 private:
  Workspace work_;
};

TEST_CASE("check-revocation rejects a revoked leaf and accepts one that is not revoked",
          "[cert][validate][revocation]") {
  const RevocationFixture ca;
  const ValidationResult revoked = ca.check("revoked", ca.options(true));
  CHECK(revoked.reason ==
        "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=revoked')");
  CHECK(ca.check("good", ca.options(true)).valid);
}

TEST_CASE("a DER CRL works as well as a PEM one", "[cert][validate][revocation]") {
  const RevocationFixture ca;
  CHECK_THAT(ca.check("revoked", ca.options(true, "root.crl.der")).reason,
             Catch::Contains("certificate revoked"));
}

TEST_CASE("revocation is not checked unless asked", "[cert][validate][revocation]") {
  const RevocationFixture ca;
  CHECK(ca.check("revoked", ca.options(false)).valid);
}

TEST_CASE("check-revocation without a CRL from the issuer fails closed", "[cert][validate][revocation]") {
  const RevocationFixture ca;
  CHECK(
      ca.check("good", ca.options(true, "")).reason ==
      "Certificate chain validation failed: RevocationStatusUnknown: unable to get certificate CRL (depth 0, "
      "'CN=good')");
}

TEST_CASE("load_crls rejects a file that holds no CRL", "[cert][crl]") {
  Workspace work;
  work.write("not-a-crl.pem", "-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n");
  work.write("empty.der", "garbage");
  for (const char* name : {"not-a-crl.pem", "empty.der", "missing.crl"}) {
    INFO(name);
    try {
      load_crls(work.path(name));
      FAIL("load_crls accepted " << name);
    } catch (const Error& e) {
      CHECK(e.code() == Errc::Input);
      CHECK_THAT(e.what(), Catch::Contains(name));
      CHECK_FALSE(e.hint().empty());
    }
  }
}

TEST_CASE("expected purposes are read as names or dotted OIDs", "[cert][validate][purpose]") {
  CHECK(parse_expected_purpose("server") == kServerAuthOid);
  CHECK(parse_expected_purpose("Client Authentication") == kClientAuthOid);
  CHECK(parse_expected_purpose("clientAuth") == kClientAuthOid);
  CHECK(parse_expected_purpose("1.3.6.1.5.5.7.3.3") == "1.3.6.1.5.5.7.3.3");
  for (const char* bad : {"bogus", "1..3", "1.3.", "", "3"}) {
    INFO(bad);
    try {
      parse_expected_purpose(bad);
      FAIL("accepted '" << bad << "'");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::Usage);
      CHECK_THAT(e.what(), Catch::StartsWith("--purpose: "));
    }
  }
}

TEST_CASE("the JSON verdict carries the contract's fields", "[cert][validate][json]") {
  const CertBundle bundle = create_certificate(leaf_spec("json.example", Purpose::Server));
  ValidationOptions options;
  options.deny_self_signed = true;
  const nlohmann::json document = to_json(validate(bundle.certificate.get(), std::move(options)));
  CHECK(document["valid"] == false);
  CHECK(document["reason"] == "Self-signed certificates are denied by policy.");
  CHECK(document["purposes"] == nlohmann::json::array({"Server Authentication"}));
  CHECK(document["chain"] == nlohmann::json::array({"CN=json.example"}));
  CHECK(document["certificate"]["subject"] == "CN=json.example");
  CHECK(document["certificate"]["thumbprint"].get<std::string>().size() == 40);
}
