#include "krtool/formats/encode.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <algorithm>
#include <cctype>

#include "formats/pkcs12_handles.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::formats {
namespace {

using ossl::UniquePtr;

// OpenSSL 3's own defaults; Windows and macOS import them quickly.
constexpr int kPfxIterations = 2048;
// What keytool writes (keystore.pkcs12.*IterationCount), so a Java profile file looks like Java's own.
constexpr int kJavaIterations = 10000;
// Oracle's trusted-key-usage attribute and the value keytool gives it: trusted for any purpose.
constexpr const char* kJavaTrustedOid = "2.16.840.1.113894.746875.1.1";
// Kestrun's encrypted PEM keys use 100 000 PBKDF2 iterations.
constexpr int kPemKeyIterations = 100000;

using util::lower;

UniquePtr<STACK_OF(X509)> certificate_stack(const std::vector<UniquePtr<X509>>& certificates) {
  UniquePtr<STACK_OF(X509)> stack(sk_X509_new_null());
  ossl::require(stack != nullptr, "allocating a certificate list");
  for (const UniquePtr<X509>& certificate : certificates) {
    UniquePtr<X509> reference = ossl::up_ref(certificate.get());
    ossl::require(sk_X509_push(stack.get(), reference.get()) > 0, "adding a certificate to a list");
    reference.release();  // the stack owns it now
  }
  return stack;
}

struct PfxAlgorithms {
  int key_nid;
  int certificate_nid;
  const EVP_MD* mac;
  int iterations;
};

PfxAlgorithms pfx_algorithms(PfxProfile profile) {
  switch (profile) {
    case PfxProfile::Legacy:
    case PfxProfile::Macos:
      return {NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And3_Key_TripleDES_CBC, EVP_sha1(),
              kPfxIterations};
    case PfxProfile::Java:
      return {NID_aes_256_cbc, NID_aes_256_cbc, EVP_sha256(), kJavaIterations};
    case PfxProfile::Modern:
      break;
  }
  // A cipher NID (rather than a PKCS#12 PBE NID) makes OpenSSL use PBES2 with PBKDF2.
  return {NID_aes_256_cbc, NID_aes_256_cbc, EVP_sha256(), kPfxIterations};
}

std::string entry_name(X509* certificate) {
  const std::string name = cert::common_name(X509_get_subject_name(certificate));
  return name.empty() ? "krtool" : name;
}

void add_mac(PKCS12* pfx, const std::string& password, const PfxAlgorithms& algorithms) {
  ossl::require(PKCS12_set_mac(pfx, password.c_str(), static_cast<int>(password.size()), nullptr, 0,
                               algorithms.iterations, algorithms.mac) == 1,
                "adding the PKCS#12 integrity MAC");
}

std::string encoded(PKCS12* pfx) {
  UniquePtr<BIO> sink = ossl::sink_bio();
  ossl::require(i2d_PKCS12_bio(sink.get(), pfx) == 1, "encoding a PKCS#12 file");
  return ossl::bio_contents(sink.get());
}

// encode_trust_store writes certificates only, each a trusted entry for Java (what `keytool
// -importcert` makes); PKCS12_create has no way to add the attribute, so the bags are built here.
std::string encode_trust_store(const cert::CertBundle& bundle, const std::string& password,
                               const PfxAlgorithms& algorithms) {
  UniquePtr<ASN1_OBJECT> trusted_for(OBJ_nid2obj(NID_anyExtendedKeyUsage));
  UniquePtr<STACK_OF(PKCS12_SAFEBAG)> bags(sk_PKCS12_SAFEBAG_new_null());
  ossl::require(bags != nullptr, "allocating PKCS#12 bags");
  // PKCS12_add_cert and PKCS12_add_safe_ex push onto a list they are given, and make one only when not.
  STACK_OF(PKCS12_SAFEBAG)* bag_list = bags.get();
  const auto add = [&](X509* certificate) {
    PKCS12_SAFEBAG* bag = PKCS12_add_cert(&bag_list, certificate);  // owned by bags
    ossl::require(bag != nullptr, "adding a certificate to a PKCS#12 file");
    const std::string name = entry_name(certificate);
    ossl::require(PKCS12_add_friendlyname_asc(bag, name.c_str(), -1) == 1, "naming a PKCS#12 entry");
    ossl::require(PKCS12_add1_attr_by_txt(bag, kJavaTrustedOid, V_ASN1_OBJECT,
                                          reinterpret_cast<const unsigned char*>(trusted_for.get()), -1) == 1,
                  "marking a certificate as trusted for Java");
  };
  add(bundle.certificate.get());
  for (const UniquePtr<X509>& certificate : bundle.chain) add(certificate.get());
  UniquePtr<STACK_OF(PKCS7)> safes(sk_PKCS7_new_null());
  ossl::require(safes != nullptr, "allocating PKCS#12 safes");
  STACK_OF(PKCS7)* safe_list = safes.get();
  ossl::require(PKCS12_add_safe_ex(&safe_list, bags.get(), algorithms.certificate_nid, algorithms.iterations,
                                   password.c_str(), nullptr, nullptr) == 1,
                "encrypting the certificates of a PKCS#12 file");
  UniquePtr<PKCS12> pfx(PKCS12_add_safes_ex(safes.get(), 0, nullptr, nullptr));
  ossl::require(pfx != nullptr, "creating a PKCS#12 file");
  add_mac(pfx.get(), password, algorithms);
  return encoded(pfx.get());
}

}  // namespace

PfxProfile parse_pfx_profile(std::string_view text, std::string_view flag) {
  const std::string name = lower(text);
  if (name == "modern") return PfxProfile::Modern;
  if (name == "legacy") return PfxProfile::Legacy;
  if (name == "java") return PfxProfile::Java;
  if (name == "macos") return PfxProfile::Macos;
  throw Error(Errc::Usage, fmt::format("{} '{}' is not a PFX profile", flag, text),
              fmt::format("use {} modern (AES-256, SHA-256 MAC), legacy (3DES, SHA-1 MAC, for old "
                          "Windows), java (keytool) or macos (the keychain)",
                          flag));
}

std::string pfx_profile_name(PfxProfile profile) {
  switch (profile) {
    case PfxProfile::Legacy:
      return "legacy";
    case PfxProfile::Java:
      return "java";
    case PfxProfile::Macos:
      return "macos";
    case PfxProfile::Modern:
      break;
  }
  return "modern";
}

std::string pfx_profile_description(PfxProfile profile) {
  switch (profile) {
    case PfxProfile::Legacy:
      return "legacy: 3DES, SHA-1 MAC";
    case PfxProfile::Java:
      return "java: AES-256-CBC, PBKDF2, SHA-256 MAC, 10000 iterations, alias set";
    case PfxProfile::Macos:
      return "macos: 3DES, SHA-1 MAC";
    case PfxProfile::Modern:
      break;
  }
  return "modern: AES-256-CBC, PBKDF2, SHA-256 MAC";
}

Format format_from_name(std::string_view text, std::string_view flag) {
  const std::string name = lower(text);
  if (name == "pfx" || name == "p12" || name == "pkcs12") return Format::Pfx;
  if (name == "pem") return Format::Pem;
  if (name == "der") return Format::Der;
  throw Error(Errc::Usage, fmt::format("{} '{}' is not a format krtool writes", flag, text),
              fmt::format("use {} pfx, pem or der", flag));
}

std::optional<Format> format_from_extension(const std::filesystem::path& path) {
  const std::string extension = lower(path.extension().string());
  if (extension == ".pfx" || extension == ".p12") return Format::Pfx;
  if (extension == ".pem" || extension == ".crt") return Format::Pem;
  if (extension == ".der" || extension == ".cer") return Format::Der;
  return std::nullopt;
}

std::string encode_pfx(const cert::CertBundle& bundle, const std::string& password, PfxProfile profile) {
  if (profile == PfxProfile::Macos && password.empty()) {
    throw Error(Errc::Usage,
                "--pfx-profile macos needs a password: Keychain Access refuses a PFX without one",
                "give --password (or --password-file, --password-env)");
  }
  const PfxAlgorithms algorithms = pfx_algorithms(profile);
  if (!bundle.key && profile == PfxProfile::Java) return encode_trust_store(bundle, password, algorithms);
  if (!bundle.key) {
    throw Error(Errc::Input, "a PKCS#12 file needs the private key, and the certificate has none",
                "give the key with --key FILE, write PEM or DER instead, or write a Java trust store "
                "with --pfx-profile java");
  }
  // Java takes the friendly name as the entry's alias; others show it as the certificate's label.
  const std::string friendly_name = profile == PfxProfile::Java
                                        ? entry_name(bundle.certificate.get())
                                        : cert::common_name(X509_get_subject_name(bundle.certificate.get()));
  UniquePtr<STACK_OF(X509)> chain = certificate_stack(bundle.chain);
  // mac_iter -1 leaves the MAC out, so that it can be added with the profile's digest below.
  UniquePtr<PKCS12> pfx(
      PKCS12_create_ex(password.c_str(), friendly_name.empty() ? nullptr : friendly_name.c_str(),
                       bundle.key.get(), bundle.certificate.get(), chain.get(), algorithms.key_nid,
                       algorithms.certificate_nid, algorithms.iterations, -1, 0, nullptr, nullptr));
  ossl::require(pfx != nullptr, "creating a PKCS#12 file");
  add_mac(pfx.get(), password, algorithms);
  return encoded(pfx.get());
}

std::string encode_pem_certificate(X509* certificate) {
  UniquePtr<BIO> sink = ossl::sink_bio();
  ossl::require(PEM_write_bio_X509(sink.get(), certificate) == 1, "encoding a PEM certificate");
  return ossl::bio_contents(sink.get());
}

std::string encode_pem_certificates(const cert::CertBundle& bundle, bool include_chain) {
  std::string pem = encode_pem_certificate(bundle.certificate.get());
  if (include_chain) {
    for (const UniquePtr<X509>& certificate : bundle.chain) pem += encode_pem_certificate(certificate.get());
  }
  return pem;
}

std::string encode_pem_key(EVP_PKEY* key, const std::optional<std::string>& password) {
  UniquePtr<PKCS8_PRIV_KEY_INFO> info(EVP_PKEY2PKCS8(key));
  ossl::require(info != nullptr, "converting the private key to PKCS#8");
  UniquePtr<BIO> sink = ossl::sink_bio();
  if (!password) {
    ossl::require(PEM_write_bio_PKCS8_PRIV_KEY_INFO(sink.get(), info.get()) == 1,
                  "encoding a PEM private key");
    return ossl::bio_contents(sink.get());
  }
  // pbe_nid -1 with a cipher selects PBES2; OpenSSL 3 pairs it with PBKDF2 and HMAC-SHA256.
  UniquePtr<X509_SIG> encrypted(PKCS8_encrypt(-1, EVP_aes_256_cbc(), password->c_str(),
                                              static_cast<int>(password->size()), nullptr, 0,
                                              kPemKeyIterations, info.get()));
  ossl::require(encrypted != nullptr, "encrypting the private key");
  ossl::require(PEM_write_bio_PKCS8(sink.get(), encrypted.get()) == 1,
                "encoding an encrypted PEM private key");
  return ossl::bio_contents(sink.get());
}

std::string encode_der_certificate(X509* certificate) {
  UniquePtr<BIO> sink = ossl::sink_bio();
  ossl::require(i2d_X509_bio(sink.get(), certificate) == 1, "encoding a DER certificate");
  return ossl::bio_contents(sink.get());
}

}  // namespace krtool::formats
