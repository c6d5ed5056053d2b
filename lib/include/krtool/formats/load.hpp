// Reading certificate files by content, not by extension: PKCS#12 (modern, and legacy such as RC2-40,
// which needs OpenSSL's legacy provider), PEM (certificates, chain, PKCS#8 plain or encrypted keys and
// traditional RSA/EC keys, in one file or with a separate key file) and DER.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "krtool/cert/bundle.hpp"
#include "krtool/util/password.hpp"

namespace krtool::formats {

enum class Format { Pfx, Pem, Der };

// detect_format looks at the bytes; nullopt when they are none of the three.
std::optional<Format> detect_format(std::string_view bytes);
std::string format_name(Format format);  // "PKCS#12", "PEM", "DER"

struct LoadOptions {
  std::optional<std::string> password;  // opens a PFX or an encrypted key; nullopt = none given
  std::filesystem::path key_path;       // a separate key file (PEM or DER), optional
  // sibling_key: without key_path, a PEM file that holds no key takes it from <base>.key when that
  // exists, which is where krtool writes it.
  bool sibling_key = false;
  PasswordPrompt prompt;  // asked when a password is needed and none was given
};

// load_bundle reads `path` and, when given, the separate key; checks that key and certificate belong
// together; and returns the certificate, key and chain. Throws Error(Input) naming the file for a
// missing or unreadable file, unknown content, a truncated or corrupt file, a wrong or missing
// password, or a key that does not match, each with a hint.
cert::CertBundle load_bundle(const std::filesystem::path& path, const LoadOptions& options);

// load_bundle_from_bytes is load_bundle for bytes already in memory; `source` names them in errors.
cert::CertBundle load_bundle_from_bytes(std::string_view bytes, std::string_view source,
                                        const LoadOptions& options);

// load_certificates reads every certificate in a PEM, DER or PFX file (a trust list, a chain).
std::vector<ossl::UniquePtr<X509>> load_certificates(const std::filesystem::path& path);

// ensure_legacy_provider loads OpenSSL's legacy provider (and keeps the default one) once per process.
void ensure_legacy_provider();

}  // namespace krtool::formats
