// Trust stores a development CA is added to and removed from (`krtool trust`): Debian's system store
// (update-ca-certificates), NSS databases (Firefox, Chromium; certutil) and Java keystores (keytool).
// Each store is changed only through its own tool, so that what the tool reports afterwards is the
// truth, and every folder is an option, so that tests run against a temporary root.
#pragma once

#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krtool/ossl.hpp"

namespace krtool::trust {

// StoreState: whether one store trusts the CA. `detail` says where it was found or what is missing.
struct StoreState {
  std::string kind;      // "system", "nss" or "java"
  std::string location;  // the folder, database or keystore
  bool trusted = false;
  std::string detail;
};

nlohmann::json to_json(const StoreState& state);

class TrustStore {
 public:
  virtual ~TrustStore() = default;
  virtual std::string kind() const = 0;
  virtual std::string location() const = 0;
  // check asks the store's own tool whether `ca` is trusted there.
  virtual StoreState check(X509* ca) const = 0;
  // install adds `ca`; returns false when it was there already (installing twice is fine).
  virtual bool install(X509* ca) const = 0;
  // uninstall removes krtool's entry for `ca`; returns false when there was none.
  virtual bool uninstall(X509* ca) const = 0;
};

// SystemStoreOptions: Debian's layout. An empty optional leaves update-ca-certificates' own default
// (and the option off its command line).
struct SystemStoreOptions {
  std::filesystem::path local_certs_dir = "/usr/local/share/ca-certificates";  // --localcertsdir
  std::filesystem::path etc_certs_dir = "/etc/ssl/certs";                      // --etccertsdir
  std::optional<std::filesystem::path> certs_conf;                             // --certsconf
  std::optional<std::filesystem::path> certs_dir;                              // --certsdir
  std::optional<std::filesystem::path> hooks_dir;                              // --hooksdir
  std::string update_command = "update-ca-certificates";
  bool local_dir_given = false, etc_dir_given = false;  // pass them on only when the user chose them
};
std::unique_ptr<TrustStore> system_store(SystemStoreOptions options);

// An NSS database folder (cert9.db), as Firefox profiles and Chromium's ~/.pki/nssdb hold.
std::unique_ptr<TrustStore> nss_store(std::filesystem::path database, std::string certutil = "certutil");

// nss_databases finds the NSS databases of `home`: ~/.pki/nssdb (Chromium) and each Firefox profile
// (~/.mozilla/firefox/*, and the snap's) that has a cert9.db.
std::vector<std::filesystem::path> nss_databases(const std::filesystem::path& home);

// A Java keystore: a file (created by keytool when absent), or with `cacerts` the JDK's own.
struct JavaStoreOptions {
  std::filesystem::path keystore;  // empty with cacerts
  bool cacerts = false;
  std::string storepass = "changeit";  // the JDK's cacerts password
  std::string keytool = "keytool";
};
std::unique_ptr<TrustStore> java_store(JavaStoreOptions options);

// load_ca reads the first certificate of a PEM, DER or PFX file and requires it to be a CA
// (basicConstraints CA:TRUE); Error(Input) otherwise, naming the file.
ossl::UniquePtr<X509> load_ca(const std::filesystem::path& path);

// entry_name is krtool's name for `ca` in every store: "krtool-" and the first 16 hex digits of its
// SHA-256 thumbprint, so two development roots with the same subject never share an entry.
std::string entry_name(X509* ca);

}  // namespace krtool::trust
