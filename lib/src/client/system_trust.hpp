// The system's trusted CAs, for test-client calls without --cacert.
#pragma once

#include <openssl/ssl.h>

namespace krtool::client {

// use_system_trust makes `context` trust what the system trusts, the way OpenSSL's defaults do, but
// reading CAs from the hashed folder only when a chain needs them (see system_trust.cpp).
// Error(Input) when $SSL_CERT_FILE names a bundle that cannot be loaded.
void use_system_trust(SSL_CTX* context);

}  // namespace krtool::client
