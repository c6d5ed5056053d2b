#include "openssl_setup.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "krtool/ossl.hpp"

namespace krtool::app {

void prepare_openssl() {
  // OpenSSL frees all it built (providers, method stores, error strings) in an atexit handler: 1.3 M
  // instructions, a twentieth of a new-selfsigned run, for memory the process is about to hand back.
  // It has to be said before OpenSSL's first use, which registers the handler.
  ossl::require(OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1, "initialising OpenSSL");

  // The random generator: Hash_DRBG with SHA-256 instead of OpenSSL's default CTR_DRBG with AES-256.
  // Both are NIST SP 800-90A generators of 256-bit strength, seeded from the same operating-system
  // source. CTR_DRBG's first use builds OpenSSL's table of every cipher implementation (3.2 M
  // instructions and 34 page faults, 15% of a new-selfsigned run) only to fetch AES; the certificate
  // commands need no cipher otherwise, and the digest table Hash_DRBG uses is built for signing anyway.
  // (HMAC_DRBG would save as much at start-up but costs ~60 k instructions per request against 16 k
  // here and 7 k for CTR_DRBG: 10% more time for an RSA key, which asks ~900 times.)
  // This is only a default: OpenSSL reads its configuration later, so a [random] section in
  // openssl.cnf or $OPENSSL_CONF still decides.
  ossl::require(RAND_set_DRBG_type(nullptr, "HASH-DRBG", nullptr, nullptr, "SHA256") == 1,
                "choosing the random generator");
}

}  // namespace krtool::app
