#include "krtool/cert/key.hpp"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "krtool/error.hpp"
#include "krtool/util/progress.hpp"
#include "util/text.hpp"

namespace krtool::cert {
namespace {

// folded is the spelling key names are compared in: lower case, without dashes ("P-256" is "p256").
std::string folded(std::string_view text) {
  std::string out = util::lower(text);
  out.erase(std::remove(out.begin(), out.end(), '-'), out.end());
  return out;
}

const char* curve_group(Curve curve) {
  switch (curve) {
    case Curve::P256:
      return "P-256";
    case Curve::P384:
      return "P-384";
    case Curve::P521:
      return "P-521";
  }
  return "P-256";
}

}  // namespace

KeyType parse_key_type(std::string_view text, std::string_view flag) {
  const std::string t = folded(text);
  if (t == "rsa") return KeyType::Rsa;
  if (t == "ecdsa" || t == "ec") return KeyType::Ecdsa;
  if (t == "ed25519") return KeyType::Ed25519;
  throw Error(Errc::Usage, fmt::format("{}: unknown key type '{}'", flag, text),
              "choose rsa, ecdsa or ed25519");
}

Curve parse_curve(std::string_view text, std::string_view flag) {
  const std::string t = folded(text);
  if (t == "p256" || t == "prime256v1" || t == "secp256r1" || t == "nistp256") return Curve::P256;
  if (t == "p384" || t == "secp384r1" || t == "nistp384") return Curve::P384;
  if (t == "p521" || t == "secp521r1" || t == "nistp521") return Curve::P521;
  throw Error(Errc::Usage, fmt::format("{}: unknown curve '{}'", flag, text), "choose p256, p384 or p521");
}

void check_rsa_bits(int bits, std::string_view flag) {
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    throw Error(Errc::Usage, fmt::format("{}: {} is not a supported RSA key length", flag, bits),
                "choose 2048, 3072 or 4096");
  }
}

KeySpec key_spec_from_flags(std::string_view type, int rsa_bits, bool rsa_bits_given, std::string_view curve,
                            bool curve_given) {
  KeySpec spec;
  spec.type = parse_key_type(type);
  if (rsa_bits_given && spec.type != KeyType::Rsa) {
    throw Error(Errc::Usage, fmt::format("--key-length applies to RSA keys, not --key-type {}", type),
                "use --curve p256|p384|p521 for ECDSA; Ed25519 has one size");
  }
  if (curve_given && spec.type != KeyType::Ecdsa) {
    throw Error(Errc::Usage, fmt::format("--curve applies to ECDSA keys, not --key-type {}", type),
                "add --key-type ecdsa");
  }
  check_rsa_bits(rsa_bits);
  spec.rsa_bits = rsa_bits;
  spec.curve = parse_curve(curve);
  return spec;
}

ossl::UniquePtr<EVP_PKEY> generate_key(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::Rsa: {
      check_rsa_bits(spec.rsa_bits);
      // RSA 3072 takes around a second, 4096 several: long enough to look hung without a word.
      std::optional<progress::Step> step;
      if (spec.rsa_bits >= 3072) step.emplace(fmt::format("generating an RSA {} key", spec.rsa_bits));
      ossl::UniquePtr<EVP_PKEY> key(EVP_RSA_gen(static_cast<unsigned>(spec.rsa_bits)));
      ossl::require(key != nullptr, fmt::format("generating an RSA {} key", spec.rsa_bits));
      return key;
    }
    case KeyType::Ecdsa: {
      ossl::UniquePtr<EVP_PKEY> key(EVP_EC_gen(curve_group(spec.curve)));
      ossl::require(key != nullptr, fmt::format("generating an ECDSA {} key", curve_group(spec.curve)));
      return key;
    }
    case KeyType::Ed25519: {
      ossl::UniquePtr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      ossl::require(key != nullptr, "generating an Ed25519 key");
      return key;
    }
  }
  throw Error(Errc::Internal, "unknown key type");
}

std::string key_type_name(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "RSA";
    case EVP_PKEY_EC:
      return "ECDSA";
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    case EVP_PKEY_DSA:
      return "DSA";
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      return name != nullptr ? name : "unknown";
    }
  }
}

int key_bits(EVP_PKEY* key) { return EVP_PKEY_get_bits(key); }

std::string curve_name(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return {};
  char group[64] = {};
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
    ossl::drain_errors();
    return {};
  }
  const int nid = OBJ_sn2nid(group);
  const char* nist = nid != NID_undef ? EC_curve_nid2nist(nid) : nullptr;
  return nist != nullptr ? nist : group;
}

std::string describe_key(EVP_PKEY* key) {
  const std::string type = key_type_name(key);
  if (type == "ECDSA") return fmt::format("ECDSA {}", curve_name(key));
  if (type == "Ed25519" || type == "Ed448") return type;
  return fmt::format("{} {}", type, key_bits(key));
}

const EVP_MD* signing_digest(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return nullptr;
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(key);
      if (bits > 384) return EVP_sha512();
      if (bits > 256) return EVP_sha384();
      return EVP_sha256();
    }
    default:
      return EVP_sha256();
  }
}

}  // namespace krtool::cert
