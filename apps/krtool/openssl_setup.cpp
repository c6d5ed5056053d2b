#include "openssl_setup.hpp"

#include <openssl/crypto.h>

#include "krtool/ossl.hpp"

namespace krtool::app {

void prepare_openssl() {
  // OpenSSL frees all it built (providers, method stores, error strings) in an atexit handler: 1.3 M
  // instructions, a twentieth of a new-selfsigned run, for memory the process is about to hand back.
  // It has to be said before OpenSSL's first use, which registers the handler.
  ossl::require(OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1, "initialising OpenSSL");
}

}  // namespace krtool::app
