// Java keystores: keytool -importcert makes a trustedCertEntry, which is what Java's TrustManager reads
// from a keystore given with -Djavax.net.ssl.trustStore (or from the JDK's cacerts with -cacerts).
#include <fmt/format.h>

#include <system_error>

#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "krtool/trust/store.hpp"
#include "trust/tool.hpp"

namespace krtool::trust {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kInstallHint = "install a Java runtime: apt install default-jre-headless";

class JavaStore final : public TrustStore {
 public:
  explicit JavaStore(JavaStoreOptions options) : options_(std::move(options)) {}

  std::string kind() const override { return "java"; }
  std::string location() const override {
    return options_.cacerts ? "the JDK's cacerts" : options_.keystore.string();
  }

  StoreState check(X509* ca) const override {
    StoreState state{kind(), location(), false, ""};
    std::error_code ignored;
    if (!options_.cacerts && !fs::exists(options_.keystore, ignored)) {
      state.detail = "the keystore does not exist";
      return state;
    }
    const CaFile file(ca);
    const process::Outcome listed = keytool(file, {"-list", "-alias", entry_name(ca)});
    if (listed.exit_status != 0) {
      if (listed.output.find("does not exist") == std::string::npos) fail(listed, "keytool -list");
      state.detail = fmt::format("no entry '{}'", entry_name(ca));
      return state;
    }
    const bool same = listed.output.find(colon_hex(cert::thumbprint_sha256(ca))) != std::string::npos;
    const bool trusted_entry = listed.output.find("trustedCertEntry") != std::string::npos;
    state.trusted = same && trusted_entry;
    state.detail = state.trusted ? fmt::format("trustedCertEntry '{}'", entry_name(ca))
                                 : fmt::format("entry '{}' is {}", entry_name(ca),
                                               same ? "not a trustedCertEntry" : "another certificate");
    return state;
  }

  bool install(X509* ca) const override {
    if (check(ca).trusted) return false;
    if (!options_.cacerts)
      require_writable(options_.keystore, "the Java keystore", "krtool trust … --java FILE");
    const CaFile file(ca);
    const process::Outcome added =
        keytool(file, {"-importcert", "-noprompt", "-alias", entry_name(ca), "-file", file.path().string()});
    if (added.exit_status != 0) fail(added, "keytool -importcert");
    return true;
  }

  bool uninstall(X509* ca) const override {
    std::error_code ignored;
    if (!options_.cacerts && !fs::exists(options_.keystore, ignored)) return false;
    const CaFile file(ca);
    const process::Outcome deleted = keytool(file, {"-delete", "-alias", entry_name(ca)});
    if (deleted.exit_status != 0) {
      if (deleted.output.find("does not exist") != std::string::npos) return false;
      fail(deleted, "keytool -delete");
    }
    return true;
  }

 private:
  process::Outcome keytool(const CaFile& file, std::vector<std::string> args) const {
    if (options_.cacerts) {
      args.emplace_back("-cacerts");
    } else {
      args.insert(args.end(), {"-keystore", options_.keystore.string()});
    }
    args.insert(args.end(), {"-storepass:file", file.secret(options_.storepass).string()});
    return run_tool(options_.keytool, args, kInstallHint);
  }

  [[noreturn]] void fail(const process::Outcome& outcome, std::string_view action) const {
    if (outcome.output.find("password was incorrect") != std::string::npos) {
      throw Error(Errc::Input, fmt::format("the password of Java keystore {} is wrong", location()),
                  "give it with --java-storepass (the JDK's cacerts uses changeit)");
    }
    if (outcome.output.find("Permission denied") != std::string::npos ||
        outcome.output.find("AccessDenied") != std::string::npos) {
      throw Error(Errc::Input, fmt::format("cannot change Java keystore {}: permission denied", location()),
                  "it belongs to root: run `sudo krtool trust … --java-cacerts`");
    }
    require_success(outcome, action);
    throw Error(Errc::Internal, std::string(action) + " failed");
  }

  JavaStoreOptions options_;
};

}  // namespace

std::unique_ptr<TrustStore> java_store(JavaStoreOptions options) {
  return std::make_unique<JavaStore>(std::move(options));
}

}  // namespace krtool::trust
