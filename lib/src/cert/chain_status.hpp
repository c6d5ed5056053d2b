// .NET's X509ChainStatusFlags names for OpenSSL's verification errors, so that every layer (the
// authentication scheme's chain check, the TLS layer's validation code) reports a chain problem the
// way Kestrun users read it.
#pragma once

namespace krtool::cert {

// dotnet_chain_status names the X509ChainStatusFlags that .NET reports for an X509_V_ERR_* code
// ("UntrustedRoot", "NotTimeValid", ...), or "" where there is no close match.
const char* dotnet_chain_status(int x509_error) noexcept;

}  // namespace krtool::cert
