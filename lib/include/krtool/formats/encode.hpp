// Writing certificate files: PKCS#12 with a modern or legacy profile, PEM certificates and keys
// (encrypted PKCS#8 with AES-256-CBC when a password is given), DER.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "krtool/cert/bundle.hpp"
#include "krtool/formats/load.hpp"

namespace krtool::formats {

// PfxProfile names the importer a PKCS#12 file is written for (docs/certificates.md has the table):
// Modern: AES-256-CBC with PBKDF2 and a SHA-256 MAC (OpenSSL 3, .NET, Node 17+, Windows 10 1709+).
// Legacy: 3DES with a SHA-1 MAC (Windows before 2019, old macOS, anything from before 2017).
// Java: Modern's algorithms with keytool's 10 000 iterations and a friendly name (keytool's alias);
//   without a key the certificates become trusted entries (Oracle's trusted-key-usage attribute).
// Macos: Legacy's algorithms, and a password is required (Keychain Access refuses an empty one).
enum class PfxProfile { Modern, Legacy, Java, Macos };
PfxProfile parse_pfx_profile(std::string_view text, std::string_view flag = "--pfx-profile");
std::string pfx_profile_name(PfxProfile profile);  // "modern", "legacy", "java", "macos"
// pfx_profile_description: "AES-256-CBC, PBKDF2, SHA-256 MAC" and the like, for what a command wrote.
std::string pfx_profile_description(PfxProfile profile);

// format_from_name reads "pfx", "p12", "pem", "der" (case-insensitive); Error(Usage) names `flag`.
Format format_from_name(std::string_view text, std::string_view flag = "--format");
// format_from_extension maps .pfx/.p12 → Pfx, .pem/.crt → Pem, .der/.cer → Der; nullopt otherwise.
std::optional<Format> format_from_extension(const std::filesystem::path& path);

// encode_pfx packs key, certificate and chain; the certificate's CN labels the entry. Only the Java
// profile writes a file without a key (a trust store). Throws Error(Input) without a key otherwise,
// Error(Usage) for an empty password with the macOS profile.
std::string encode_pfx(const cert::CertBundle& bundle, const std::string& password, PfxProfile profile);

// encode_pem_certificates writes the certificate, then (with include_chain) the chain, as CERTIFICATE blocks.
std::string encode_pem_certificates(const cert::CertBundle& bundle, bool include_chain);
std::string encode_pem_certificate(X509* certificate);

// encode_pem_key writes PKCS#8: "PRIVATE KEY", or with a password "ENCRYPTED PRIVATE KEY" (PBES2,
// AES-256-CBC, HMAC-SHA256, 100 000 iterations, as Kestrun).
std::string encode_pem_key(EVP_PKEY* key, const std::optional<std::string>& password);

std::string encode_der_certificate(X509* certificate);

}  // namespace krtool::formats
