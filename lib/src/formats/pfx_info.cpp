#include "krtool/formats/pfx_info.hpp"

#include <fmt/format.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>

#include <algorithm>

#include "formats/pkcs12_handles.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/ossl.hpp"

namespace krtool::formats {
namespace {

using ossl::UniquePtr;

// Oracle's "trusted key usage" bag attribute: Java's KeyStore makes a trustedCertEntry only of a
// certificate bag that carries it (OpenSSL 3.2's `pkcs12 -jdktrust`).
constexpr const char* kJavaTrustedOid = "2.16.840.1.113894.746875.1.1";

long integer_value(const ASN1_INTEGER* integer) { return integer == nullptr ? 0 : ASN1_INTEGER_get(integer); }

std::string digest_name(int nid) {
  switch (nid) {
    case NID_sha1:
    case NID_hmacWithSHA1:
      return "SHA-1";
    case NID_sha256:
    case NID_hmacWithSHA256:
      return "SHA-256";
    case NID_sha384:
    case NID_hmacWithSHA384:
      return "SHA-384";
    case NID_sha512:
    case NID_hmacWithSHA512:
      return "SHA-512";
    case NID_md5:
      return "MD5";
    default:
      return OBJ_nid2sn(nid);
  }
}

std::string cipher_name(int nid) {
  switch (nid) {
    case NID_aes_128_cbc:
      return "AES-128-CBC";
    case NID_aes_192_cbc:
      return "AES-192-CBC";
    case NID_aes_256_cbc:
      return "AES-256-CBC";
    case NID_des_ede3_cbc:
      return "3DES-CBC";
    case NID_des_cbc:
      return "DES-CBC";
    case NID_rc2_cbc:
      return "RC2-CBC";
    default:
      return OBJ_nid2sn(nid);
  }
}

PfxEncryption describe_algorithm(const X509_ALGOR* algorithm) {
  PfxEncryption out;
  const int nid = OBJ_obj2nid(algorithm->algorithm);
  out.algorithm = nid == NID_undef ? "unknown" : OBJ_nid2sn(nid);
  if (nid == NID_pbes2) {
    out.scheme = "PBES2";
    UniquePtr<PBE2PARAM> pbe2(
        static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), algorithm->parameter)));
    if (!pbe2) return out;
    out.cipher = cipher_name(OBJ_obj2nid(pbe2->encryption->algorithm));
    if (OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2) {
      UniquePtr<PBKDF2PARAM> kdf(static_cast<PBKDF2PARAM*>(
          ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
      if (kdf) {
        out.iterations = integer_value(kdf->iter);
        // RFC 8018: without a PRF, PBKDF2 uses HMAC-SHA1. Spelled as OpenSSL does: PBKDF2-HMAC-SHA256.
        std::string digest =
            digest_name(kdf->prf == nullptr ? NID_hmacWithSHA1 : OBJ_obj2nid(kdf->prf->algorithm));
        digest.erase(std::remove(digest.begin(), digest.end(), '-'), digest.end());
        out.kdf = "PBKDF2-HMAC-" + digest;
      }
    } else {
      out.kdf = OBJ_nid2sn(OBJ_obj2nid(pbe2->keyfunc->algorithm));
    }
    return out;
  }
  out.scheme = "PKCS#12 PBE";
  out.kdf = "PKCS#12 KDF (SHA-1)";
  switch (nid) {
    case NID_pbe_WithSHA1And3_Key_TripleDES_CBC:
      out.cipher = "3DES-CBC";
      break;
    case NID_pbe_WithSHA1And2_Key_TripleDES_CBC:
      out.cipher = "2-key 3DES-CBC";
      break;
    case NID_pbe_WithSHA1And40BitRC2_CBC:
      out.cipher = "RC2-40-CBC";
      break;
    case NID_pbe_WithSHA1And128BitRC2_CBC:
      out.cipher = "RC2-128-CBC";
      break;
    case NID_pbe_WithSHA1And40BitRC4:
      out.cipher = "RC4-40";
      break;
    case NID_pbe_WithSHA1And128BitRC4:
      out.cipher = "RC4-128";
      break;
    default:
      out.scheme = "other";
      out.kdf.clear();
      out.cipher = out.algorithm;
      return out;
  }
  UniquePtr<PBEPARAM> pbe(
      static_cast<PBEPARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), algorithm->parameter)));
  if (pbe) out.iterations = integer_value(pbe->iter);
  return out;
}

std::string hex(const ASN1_STRING* bytes) {
  std::string out;
  const unsigned char* data = ASN1_STRING_get0_data(bytes);
  for (int i = 0; i < ASN1_STRING_length(bytes); ++i) out += fmt::format("{:02X}", data[i]);
  return out;
}

PfxBag describe_bag(const PKCS12_SAFEBAG* bag, const PfxEncryption& safe_encryption) {
  PfxBag out;
  out.encryption = safe_encryption;
  switch (PKCS12_SAFEBAG_get_nid(bag)) {
    case NID_pkcs8ShroudedKeyBag: {
      out.type = "key";
      const X509_ALGOR* algorithm = nullptr;
      X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &algorithm, nullptr);
      out.encryption = describe_algorithm(algorithm);
      break;
    }
    case NID_keyBag:
      out.type = "key";
      out.encryption = PfxEncryption{"none", "", "", "", 0};
      break;
    case NID_certBag: {
      out.type = "certificate";
      UniquePtr<X509> certificate(PKCS12_SAFEBAG_get1_cert(bag));
      if (certificate) out.subject = cert::format_dn(X509_get_subject_name(certificate.get()));
      break;
    }
    default:
      out.type = "other";
  }
  UniquePtr<char> name(PKCS12_get_friendlyname(const_cast<PKCS12_SAFEBAG*>(bag)));
  if (name) out.friendly_name = name.get();
  const ASN1_TYPE* key_id = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
  if (key_id != nullptr && key_id->type == V_ASN1_OCTET_STRING)
    out.local_key_id = hex(key_id->value.octet_string);
  const STACK_OF(X509_ATTRIBUTE)* attributes = PKCS12_SAFEBAG_get0_attrs(bag);
  UniquePtr<ASN1_OBJECT> trusted(OBJ_txt2obj(kJavaTrustedOid, 1));
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(attributes); ++i) {
    if (OBJ_cmp(X509_ATTRIBUTE_get0_object(sk_X509_ATTRIBUTE_value(attributes, i)), trusted.get()) == 0) {
      out.java_trusted = true;
    }
  }
  return out;
}

}  // namespace

PfxInfo inspect_pfx(std::string_view bytes, std::string_view source,
                    const std::optional<std::string>& password) {
  UniquePtr<BIO> bio = ossl::memory_bio(bytes);
  UniquePtr<PKCS12> pfx(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!pfx) {
    ossl::fail(Errc::Input, fmt::format("'{}' is not a PKCS#12 file", source),
               "give a .pfx/.p12 file; PEM and DER files carry no PKCS#12 encryption to report");
  }
  PfxInfo info;
  info.has_mac = PKCS12_mac_present(pfx.get()) == 1;
  if (info.has_mac) {
    const X509_ALGOR* mac_algorithm = nullptr;
    const ASN1_INTEGER* iterations = nullptr;
    PKCS12_get0_mac(nullptr, &mac_algorithm, nullptr, &iterations, pfx.get());
    const ASN1_OBJECT* digest = nullptr;
    X509_ALGOR_get0(&digest, nullptr, nullptr, mac_algorithm);
    info.mac_digest = digest_name(OBJ_obj2nid(digest));
    // An absent iteration count means 1 (RFC 7292).
    info.mac_iterations = iterations == nullptr ? 1 : integer_value(iterations);
  }
  const std::string pass = password.value_or("");
  info.opened =
      !info.has_mac || PKCS12_verify_mac(pfx.get(), pass.c_str(), static_cast<int>(pass.size())) == 1;
  info.empty_password = info.opened && pass.empty();
  ossl::drain_errors();

  UniquePtr<STACK_OF(PKCS7)> safes(PKCS12_unpack_authsafes(pfx.get()));
  if (!safes) ossl::fail(Errc::Input, fmt::format("reading the contents of PKCS#12 file '{}'", source));
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* safe = sk_PKCS7_value(safes.get(), i);
    const int type = OBJ_obj2nid(safe->type);
    UniquePtr<STACK_OF(PKCS12_SAFEBAG)> bags;
    PfxEncryption encryption{"none", "", "", "", 0};
    if (type == NID_pkcs7_data) {
      bags.reset(PKCS12_unpack_p7data(safe));
    } else if (type == NID_pkcs7_encrypted) {
      encryption = describe_algorithm(safe->d.encrypted->enc_data->algorithm);
      if (info.opened) {
        bags.reset(PKCS12_unpack_p7encdata(safe, pass.c_str(), static_cast<int>(pass.size())));
        if (!bags) {
          // RC2-40 lives in OpenSSL's legacy provider.
          ossl::drain_errors();
          ensure_legacy_provider();
          bags.reset(PKCS12_unpack_p7encdata(safe, pass.c_str(), static_cast<int>(pass.size())));
        }
      }
    }
    ossl::drain_errors();
    if (!bags) {
      // Still encrypted: what is in it is unknown, its algorithm is not.
      PfxBag unknown;
      unknown.type = "encrypted";
      unknown.encryption = encryption;
      info.bags.push_back(unknown);
      continue;
    }
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags.get()); ++j) {
      info.bags.push_back(describe_bag(sk_PKCS12_SAFEBAG_value(bags.get(), j), encryption));
    }
  }
  return info;
}

namespace {

nlohmann::json encryption_json(const PfxEncryption& e) {
  return {{"scheme", e.scheme},
          {"algorithm", e.algorithm.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.algorithm)},
          {"cipher", e.cipher.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.cipher)},
          {"kdf", e.kdf.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.kdf)},
          {"iterations", e.iterations}};
}

nlohmann::json optional_text(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

}  // namespace

nlohmann::json to_json(const PfxInfo& info) {
  nlohmann::json bags = nlohmann::json::array();
  nlohmann::json key_encryption = nullptr;
  nlohmann::json certificate_encryption = nullptr;
  for (const PfxBag& bag : info.bags) {
    nlohmann::json entry{{"type", bag.type},
                         {"encryption", encryption_json(bag.encryption)},
                         {"friendlyName", optional_text(bag.friendly_name)},
                         {"localKeyId", optional_text(bag.local_key_id)},
                         {"javaTrusted", bag.java_trusted}};
    if (bag.type == "certificate") entry["subject"] = bag.subject;
    if (bag.type == "key" && key_encryption.is_null()) key_encryption = encryption_json(bag.encryption);
    if ((bag.type == "certificate" || bag.type == "encrypted") && certificate_encryption.is_null()) {
      certificate_encryption = encryption_json(bag.encryption);
    }
    bags.push_back(std::move(entry));
  }
  return {
      {"keyEncryption", key_encryption},
      {"certificateEncryption", certificate_encryption},
      {"mac", info.has_mac ? nlohmann::json{{"digest", info.mac_digest}, {"iterations", info.mac_iterations}}
                           : nlohmann::json(nullptr)},
      {"opened", info.opened},
      {"emptyPassword", info.empty_password},
      {"bags", bags}};
}

}  // namespace krtool::formats
