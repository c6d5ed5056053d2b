#include "krtool/cert/builder.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "krtool/cert/alt_names.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::cert {
namespace {

using std::chrono::days;
using std::chrono::minutes;

// Kestrun backdates notBefore so that a certificate made a moment ago is valid on a peer whose clock
// runs a little behind.
constexpr minutes kBackdate{5};

using util::lower;

void add_conf_extension(X509* certificate, X509V3_CTX* context, int nid, const std::string& value) {
  ossl::UniquePtr<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str()));
  ossl::require(extension != nullptr, fmt::format("building the {} extension '{}'", OBJ_nid2ln(nid), value));
  ossl::require(X509_add_ext(certificate, extension.get(), -1) == 1,
                fmt::format("adding the {} extension", OBJ_nid2ln(nid)));
}

std::string key_usage_text(unsigned bits) {
  static constexpr std::pair<unsigned, const char*> kNames[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"},
  };
  std::string out = "critical";
  for (const auto& [bit, name] : kNames) {
    if ((bits & bit) != 0) out += fmt::format(",{}", name);
  }
  return out;
}

// default_key_usage is Kestrun's: CA keyCertSign+cRLSign; RSA leaf digitalSignature+keyEncipherment;
// any other leaf (EC, Ed25519) digitalSignature, since those keys cannot encipher.
unsigned default_key_usage(bool is_ca, EVP_PKEY* key) {
  if (is_ca) return KU_KEY_CERT_SIGN | KU_CRL_SIGN;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) return KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
  return KU_DIGITAL_SIGNATURE;
}

ossl::UniquePtr<ASN1_INTEGER> random_serial() {
  // A random serial in [1, 2^63 - 1], as Kestrun: positive in 8 octets with no leading 00.
  unsigned char bytes[8];
  ossl::require(RAND_bytes(bytes, sizeof bytes) == 1, "generating a serial number");
  bytes[0] &= 0x7F;
  if (std::all_of(std::begin(bytes), std::end(bytes), [](unsigned char b) { return b == 0; })) bytes[7] = 1;
  ossl::UniquePtr<BIGNUM> number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  ossl::require(number != nullptr, "generating a serial number");
  ossl::UniquePtr<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  ossl::require(serial != nullptr, "encoding a serial number");
  return serial;
}

struct Validity {
  TimePoint not_before;
  TimePoint not_after;
};

Validity resolve_validity(const CertificateSpec& spec) {
  if (spec.valid_days < 1 || spec.valid_days > 36500) {
    throw Error(Errc::Usage, fmt::format("--valid-days: {} is out of range", spec.valid_days),
                "choose between 1 and 36500 days");
  }
  const TimePoint now = now_seconds();
  Validity v;
  v.not_before = spec.not_before.value_or(now - kBackdate);
  v.not_after = spec.not_after.value_or((spec.not_before ? *spec.not_before : now) + days(spec.valid_days));
  require_certificate_time(v.not_before, "--not-before");
  require_certificate_time(v.not_after, spec.not_after ? "--not-after" : "--valid-days");
  if (v.not_after <= v.not_before) {
    throw Error(Errc::Usage,
                fmt::format("the certificate would end ({}) before it starts ({})",
                            format_rfc3339(v.not_after), format_rfc3339(v.not_before)),
                "give --not-after a later time than --not-before");
  }
  return v;
}

void check_issuer(const CertBundle& issuer) {
  const std::string subject = format_dn(X509_get_subject_name(issuer.certificate.get()));
  if (!issuer.key) {
    throw Error(
        Errc::Input, fmt::format("the issuer '{}' has no private key", subject),
        "pass a PFX, or a PEM with its key (--issuer ca.pem with ca.key beside it), that holds the CA's key");
  }
  if ((X509_get_extension_flags(issuer.certificate.get()) & EXFLAG_CA) == 0) {
    throw Error(Errc::Input, fmt::format("the issuer '{}' is not a certificate authority", subject),
                "make a CA first: krtool new-selfsigned --ca --subject \"CN=Dev CA\" --out ca.pfx");
  }
  if ((X509_get_extension_flags(issuer.certificate.get()) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(issuer.certificate.get()) & KU_KEY_CERT_SIGN) == 0) {
    throw Error(Errc::Input,
                fmt::format("the issuer '{}' may not sign certificates (no keyCertSign)", subject),
                "use a CA whose key usage includes keyCertSign");
  }
  if (!key_matches_certificate(issuer.key.get(), issuer.certificate.get())) {
    throw Error(Errc::Input, fmt::format("the issuer's key does not match its certificate '{}'", subject),
                "pass the key that belongs to the CA certificate");
  }
}

// build_and_sign makes and signs the certificate; `issuer` null means self-signed with `self_key`.
CertBundle build_and_sign(const CertificateSpec& spec, X509_NAME* subject, EVP_PKEY* public_key,
                          const std::vector<std::string>& names, const CertBundle* issuer,
                          EVP_PKEY* self_key = nullptr) {
  const Validity validity = resolve_validity(spec);
  ossl::UniquePtr<X509> certificate(X509_new());
  ossl::require(certificate != nullptr, "allocating a certificate");
  X509* x = certificate.get();
  ossl::require(X509_set_version(x, X509_VERSION_3) == 1, "setting the certificate version");
  ossl::UniquePtr<ASN1_INTEGER> serial = random_serial();
  ossl::require(X509_set_serialNumber(x, serial.get()) == 1, "setting the serial number");
  ossl::require(ASN1_TIME_set(X509_getm_notBefore(x), to_time_t(validity.not_before)) != nullptr,
                "setting notBefore");
  ossl::require(ASN1_TIME_set(X509_getm_notAfter(x), to_time_t(validity.not_after)) != nullptr,
                "setting notAfter");
  ossl::require(X509_set_subject_name(x, subject) == 1, "setting the subject");
  X509* issuer_certificate = issuer != nullptr ? issuer->certificate.get() : x;
  ossl::require(X509_set_issuer_name(x, X509_get_subject_name(issuer_certificate)) == 1,
                "setting the issuer");
  ossl::require(X509_set_pubkey(x, public_key) == 1, "setting the public key");

  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer_certificate, x, nullptr, nullptr, 0);
  add_conf_extension(x, &context, NID_basic_constraints,
                     spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  const unsigned usage = spec.key_usage != 0 ? spec.key_usage : default_key_usage(spec.is_ca, public_key);
  add_conf_extension(x, &context, NID_key_usage, key_usage_text(usage));
  if (!spec.is_ca) {
    switch (spec.purpose) {
      case Purpose::Server:
        add_conf_extension(x, &context, NID_ext_key_usage, "serverAuth");
        break;
      case Purpose::Client:
        add_conf_extension(x, &context, NID_ext_key_usage, "clientAuth");
        break;
      case Purpose::Both:
        add_conf_extension(x, &context, NID_ext_key_usage, "serverAuth,clientAuth");
        break;
      case Purpose::None:
        break;
    }
  }
  add_conf_extension(x, &context, NID_subject_key_identifier, "hash");
  add_conf_extension(x, &context, NID_authority_key_identifier, "keyid:always");
  if (!names.empty()) {
    ossl::UniquePtr<GENERAL_NAMES> sans = subject_alt_names(names);
    ossl::require(X509_add1_ext_i2d(x, NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) == 1,
                  "adding the subject alternative names");
  }
  if (!spec.crl_urls.empty()) {
    // One extension with every URI: a certificate with two CRL distribution point extensions is invalid.
    std::string value;
    for (const std::string& url : spec.crl_urls) {
      if (url.find(',') != std::string::npos || url.find("://") == std::string::npos) {
        throw Error(Errc::Usage, fmt::format("--crl-url: '{}' is not a URL", url),
                    "use e.g. http://127.0.0.1:8080/ca.crl");
      }
      value += (value.empty() ? "" : ",") + std::string("URI:") + url;
    }
    add_conf_extension(x, &context, NID_crl_distribution_points, value);
  }
  if (!spec.ocsp_urls.empty()) {
    std::string value;
    for (const std::string& url : spec.ocsp_urls) {
      if (url.find(',') != std::string::npos || url.find("://") == std::string::npos) {
        throw Error(Errc::Usage, fmt::format("--ocsp-url: '{}' is not a URL", url),
                    "use e.g. http://127.0.0.1:8080/ocsp");
      }
      value += (value.empty() ? "" : ",") + std::string("OCSP;URI:") + url;
    }
    add_conf_extension(x, &context, NID_info_access, value);
  }

  EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : self_key;
  ossl::require(X509_sign(x, signer, signing_digest(signer)) > 0,
                fmt::format("signing the certificate for '{}'", format_dn(subject)));

  CertBundle result;
  result.certificate = std::move(certificate);
  if (issuer != nullptr) {
    result.chain.push_back(ossl::up_ref(issuer->certificate.get()));
    for (const auto& member : issuer->chain) result.chain.push_back(ossl::up_ref(member.get()));
  }
  return result;
}

ossl::UniquePtr<X509_NAME> subject_for(const CertificateSpec& spec, const std::vector<std::string>& names) {
  if (!spec.subject.empty()) return parse_dn(spec.subject, "--subject");
  ossl::UniquePtr<X509_NAME> name(X509_NAME_new());
  ossl::require(name != nullptr, "allocating a name");
  const std::string& cn = names.front();
  ossl::require(X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                           reinterpret_cast<const unsigned char*>(cn.data()),
                                           static_cast<int>(cn.size()), -1, 0) == 1,
                fmt::format("setting CN={}", cn), Errc::Usage);
  return name;
}

}  // namespace

Purpose parse_purpose(std::string_view text, std::string_view flag) {
  const std::string t = lower(text);
  if (t == "server" || t == "serverauth" || t == "server authentication") return Purpose::Server;
  if (t == "client" || t == "clientauth" || t == "client authentication") return Purpose::Client;
  if (t == "both") return Purpose::Both;
  if (t == "none") return Purpose::None;
  throw Error(Errc::Usage, fmt::format("{}: unknown purpose '{}'", flag, text),
              "choose server, client, both or none");
}

unsigned parse_key_usage(std::string_view text, std::string_view flag) {
  std::string t = lower(text);
  t.erase(std::remove(t.begin(), t.end(), '-'), t.end());
  static constexpr std::pair<const char*, unsigned> kNames[] = {
      {"digitalsignature", KU_DIGITAL_SIGNATURE},
      {"nonrepudiation", KU_NON_REPUDIATION},
      {"keyencipherment", KU_KEY_ENCIPHERMENT},
      {"dataencipherment", KU_DATA_ENCIPHERMENT},
      {"keyagreement", KU_KEY_AGREEMENT},
      {"keycertsign", KU_KEY_CERT_SIGN},
      {"crlsign", KU_CRL_SIGN},
      {"encipheronly", KU_ENCIPHER_ONLY},
      {"decipheronly", KU_DECIPHER_ONLY},
  };
  for (const auto& [name, bit] : kNames) {
    if (t == name) return bit;
  }
  throw Error(
      Errc::Usage, fmt::format("{}: unknown key usage '{}'", flag, text),
      "choose from DigitalSignature, NonRepudiation, KeyEncipherment, DataEncipherment, KeyAgreement, "
      "KeyCertSign, CrlSign, EncipherOnly, DecipherOnly");
}

std::vector<std::string> normalize_names(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::vector<std::string> seen;
  for (const std::string& raw : names) {
    std::string_view name = raw;
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front())) != 0)
      name.remove_prefix(1);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())) != 0) name.remove_suffix(1);
    if (name.empty()) continue;
    const std::string key = lower(name);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.emplace_back(name);
  }
  return out;
}

CertBundle create_certificate(const CertificateSpec& spec, const CertBundle* issuer) {
  const std::vector<std::string> names = normalize_names(spec.names);
  if (names.empty() && spec.subject.empty()) {
    throw Error(Errc::Usage, "no name for the certificate", "give at least one --dns NAME, or a --subject");
  }
  if (issuer != nullptr) check_issuer(*issuer);
  ossl::UniquePtr<EVP_PKEY> key = generate_key(spec.key);
  ossl::UniquePtr<X509_NAME> subject = subject_for(spec, names);
  // Kestrun puts no SAN on CAs: a CA names itself, not hosts.
  const std::vector<std::string> sans = spec.is_ca ? std::vector<std::string>{} : names;
  CertBundle result = build_and_sign(spec, subject.get(), key.get(), sans, issuer, key.get());
  result.key = std::move(key);
  return result;
}

CertBundle sign_request(X509_REQ* request, const CertificateSpec& spec, const CertBundle& issuer) {
  check_issuer(issuer);
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(request);
  ossl::require(public_key != nullptr, "reading the request's public key", Errc::Input);
  std::vector<std::string> names = normalize_names(spec.names);
  if (names.empty()) {
    ossl::UniquePtr<STACK_OF(X509_EXTENSION)> extensions(X509_REQ_get_extensions(request));
    for (int i = 0; extensions && i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
      X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions.get(), i);
      if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) continue;
      ossl::UniquePtr<GENERAL_NAMES> sans(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
      for (int j = 0; sans && j < sk_GENERAL_NAME_num(sans.get()); ++j) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), j);
        if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
          const ASN1_STRING* s = name->d.ia5;
          names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<size_t>(ASN1_STRING_length(s)));
        } else if (name->type == GEN_IPADD) {
          char text[INET6_ADDRSTRLEN] = {};
          const int length = ASN1_STRING_length(name->d.iPAddress);
          inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(name->d.iPAddress), text,
                    sizeof text);
          names.emplace_back(text);
        }
      }
    }
  }
  ossl::UniquePtr<X509_NAME> subject;
  if (!spec.subject.empty()) {
    subject = parse_dn(spec.subject, "--subject");
  } else {
    subject.reset(X509_NAME_dup(X509_REQ_get_subject_name(request)));
    ossl::require(subject != nullptr, "copying the request's subject");
  }
  if (X509_NAME_entry_count(subject.get()) == 0 && names.empty()) {
    throw Error(Errc::Input, "the request has neither a subject nor subject alternative names",
                "give --dns NAME or --subject to name the certificate");
  }
  return build_and_sign(spec, subject.get(), public_key, spec.is_ca ? std::vector<std::string>{} : names,
                        &issuer);
}

CertBundle create_development_leaf(const DevelopmentSpec& spec, const CertBundle& root) {
  CertificateSpec leaf_spec;
  leaf_spec.names = spec.names;
  leaf_spec.valid_days = spec.leaf_valid_days;
  leaf_spec.key = spec.leaf_key;
  leaf_spec.purpose = Purpose::Both;
  return create_certificate(leaf_spec, &root);
}

CertBundle create_development_root(const std::string& name, int valid_days) {
  CertificateSpec spec;
  std::string quoted;
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  spec.subject = "CN=\"" + quoted + "\"";
  spec.is_ca = true;
  spec.valid_days = valid_days;
  spec.key = KeySpec{KeyType::Rsa, 2048, Curve::P256};
  return create_certificate(spec);
}

DevelopmentPair create_development_pair(const DevelopmentSpec& spec) {
  DevelopmentPair pair;
  pair.root = create_development_root(spec.root_name, spec.root_valid_days);
  pair.leaf = create_development_leaf(spec, pair.root);
  return pair;
}

}  // namespace krtool::cert
