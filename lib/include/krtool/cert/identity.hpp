// A client's identity as every part of krtool names it: the claims of an authenticated request, the
// JSON access log, test-client's report, `import --json` and the headers the proxy forwards all take
// their values, and their JSON names, from here.
#pragma once

#include <openssl/x509.h>

#include <nlohmann/json.hpp>
#include <string>

namespace krtool::cert {

// Identity: .NET's spellings (DNs most specific first, hex uppercase without separators).
struct Identity {
  std::string subject;            // "subject"
  std::string issuer;             // "issuer"
  std::string serial_number;      // "serialNumber"
  std::string thumbprint;         // "thumbprint": SHA-1 of the DER
  std::string thumbprint_sha256;  // "thumbprintSha256"
  std::string not_before;         // "notBefore", RFC 3339 UTC
  std::string not_after;          // "notAfter"
};

Identity identity(X509* certificate);

// to_json gives the fields under the names in the comments above.
nlohmann::json to_json(const Identity& identity);

}  // namespace krtool::cert
