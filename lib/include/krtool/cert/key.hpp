// Key generation: RSA 2048/3072/4096, ECDSA P-256/P-384/P-521 and Ed25519.
#pragma once

#include <string>
#include <string_view>

#include "krtool/ossl.hpp"

namespace krtool::cert {

enum class KeyType { Rsa, Ecdsa, Ed25519 };
enum class Curve { P256, P384, P521 };

struct KeySpec {
  KeyType type = KeyType::Rsa;
  int rsa_bits = 2048;
  Curve curve = Curve::P256;
};

// parse_key_type accepts rsa, ecdsa (or ec), ed25519, case-insensitively; parse_curve accepts p256,
// P-256, prime256v1, secp384r1, ...; both throw Error(Usage) naming `flag` and listing the choices.
KeyType parse_key_type(std::string_view text, std::string_view flag = "--key-type");
Curve parse_curve(std::string_view text, std::string_view flag = "--curve");
// check_rsa_bits throws Error(Usage) unless bits is 2048, 3072 or 4096.
void check_rsa_bits(int bits, std::string_view flag = "--key-length");

// key_spec_from_flags reads --key-type, --key-length and --curve as given on a command line; a length
// for a non-RSA key or a curve for a non-ECDSA key is Error(Usage) rather than silently ignored.
KeySpec key_spec_from_flags(std::string_view type, int rsa_bits, bool rsa_bits_given, std::string_view curve,
                            bool curve_given);

// generate_key makes a new key pair; throws Error(Internal) with OpenSSL's reason on failure.
ossl::UniquePtr<EVP_PKEY> generate_key(const KeySpec& spec);

// key_type_name gives "RSA", "ECDSA", "Ed25519" (or OpenSSL's name for anything else), key_bits the
// size in bits, curve_name "P-256" etc. for EC keys and "" otherwise.
std::string key_type_name(EVP_PKEY* key);
int key_bits(EVP_PKEY* key);
std::string curve_name(EVP_PKEY* key);
std::string describe_key(EVP_PKEY* key);  // "RSA 2048", "ECDSA P-256", "Ed25519"

// signing_digest is the hash everything krtool signs with `key` uses (certificates, requests): it
// pairs the hash with the key's strength, SHA-384 for P-384 and SHA-512 for P-521, else SHA-256; null
// for Ed25519 and Ed448, which sign without a separate digest (what X509_sign expects then).
const EVP_MD* signing_digest(EVP_PKEY* key);

}  // namespace krtool::cert
