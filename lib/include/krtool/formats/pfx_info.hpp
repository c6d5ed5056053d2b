// What a PKCS#12 file is made of (the encryption of its key and certificate bags, its integrity MAC,
// the names on its bags) and which importers refuse it: the answers to "why does Windows/Java/macOS
// say the password is wrong" that `openssl pkcs12 -info` leaves to the reader.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krtool::formats {

// PfxEncryption describes one password-based encryption: `scheme` is "PBES2", "PKCS#12 PBE" or "none"
// (a bag stored in clear); `cipher` as "AES-256-CBC", "3DES-CBC", "RC2-40-CBC"; `kdf` as
// "PBKDF2-HMAC-SHA256" or "PKCS#12 KDF (SHA-1)". An empty cipher means the bag could not be opened
// (no password that works), so only the outer algorithm is known.
struct PfxEncryption {
  std::string scheme;
  std::string algorithm;  // OpenSSL's short name of the algorithm's OID
  std::string cipher;
  std::string kdf;
  long iterations = 0;
};

struct PfxBag {
  std::string type;  // "key", "certificate" or "other"
  PfxEncryption encryption;
  std::string friendly_name;  // keytool's alias, Windows' "friendly name"
  std::string local_key_id;   // hex; pairs a key with its certificate
  std::string subject;        // certificate bags
  bool java_trusted = false;  // Oracle's trusted-key-usage attribute: a keytool trustedCertEntry
};

struct PfxInfo {
  bool has_mac = false;
  std::string mac_digest;  // "SHA-256", "SHA-1"
  long mac_iterations = 0;
  bool opened = false;          // the bags could be decrypted with the password
  bool empty_password = false;  // the password that opened it is ""
  std::vector<PfxBag> bags;
};

// inspect_pfx reads the structure of the PKCS#12 `bytes` (`source` names them in errors) with
// `password` (nullopt: try the empty one). Without a password that works it reports what is readable
// in clear: the MAC and each encrypted safe's algorithm. Throws Error(Input) for bytes that are not
// PKCS#12.
PfxInfo inspect_pfx(std::string_view bytes, std::string_view source,
                    const std::optional<std::string>& password);

nlohmann::json to_json(const PfxInfo& info);

// ImporterVerdict: whether one importer reads the file, and why not.
struct ImporterVerdict {
  std::string id;    // "openssl3", "openssl3-legacy", "dotnet", "java", "macos", "windows-legacy"
  std::string name;  // "OpenSSL 3 (default provider)", ...
  bool accepts = true;
  std::vector<std::string> reasons;
};

// pfx_compatibility applies what each importer is known to refuse (documented in docs/certificates.md's
// PFX profiles table) to `info`.
std::vector<ImporterVerdict> pfx_compatibility(const PfxInfo& info);

nlohmann::json to_json(const std::vector<ImporterVerdict>& verdicts);

}  // namespace krtool::formats
