// test-client's verdict on the server's certificate: the chain engine's report on the verification
// context libssl prepared (the server's certificates as untrusted intermediates, the trust store of
// --cacert or the system as the only anchors, the name to check), mapped to what the report says.
#pragma once

#include <openssl/x509_vfy.h>

#include "krtool/client/test_client.hpp"

namespace krtool::client {

// judge_server_certificate runs the chain engine on `context`, records the server's certificate and
// every problem in `report`, and leaves the first problem's error on the context, which libssl turns
// into the alert (unknown_ca, certificate_expired, ...). Returns whether the handshake may go on: when
// the chain verified, or with `insecure` (-k), which reports the problems and carries on.
// Throws when the engine cannot run; the caller's callback guard fails the handshake closed then.
bool judge_server_certificate(X509_STORE_CTX* context, TlsReport& report, bool insecure);

}  // namespace krtool::client
