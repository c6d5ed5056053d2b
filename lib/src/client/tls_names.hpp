// The names TLS gives its alerts and handshake messages (RFC 8446 §6 and §4), which is how users find
// them in documentation and in other tools' logs; OpenSSL's own strings differ ("unknown CA").
#pragma once

#include <string>

namespace krtool::client {

std::string alert_name(int code);              // "unknown_ca", or "alert 200" for unknown codes
std::string handshake_message_name(int type);  // "CertificateRequest", or "handshake message 99"

}  // namespace krtool::client
