// NSS databases: Firefox keeps one in each profile and Chromium one in ~/.pki/nssdb; certutil
// (Debian's libnss3-tools) changes them. "C,," trusts the CA to issue server certificates; a running
// browser sees the change after a restart.
#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <system_error>

#include "krtool/error.hpp"
#include "krtool/trust/store.hpp"
#include "trust/tool.hpp"

namespace krtool::trust {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kInstallHint = "install NSS's tools: apt install libnss3-tools";

class NssStore final : public TrustStore {
 public:
  NssStore(fs::path database, std::string certutil)
      : database_(std::move(database)), certutil_(std::move(certutil)) {}

  std::string kind() const override { return "nss"; }
  std::string location() const override { return database_.string(); }

  StoreState check(X509* ca) const override {
    StoreState state{kind(), location(), false, ""};
    const std::optional<std::string> flags = trust_flags(entry_name(ca));
    if (!flags) {
      state.detail = fmt::format("no entry '{}'", entry_name(ca));
    } else {
      state.trusted = trusts_servers(*flags);
      state.detail = fmt::format("entry '{}' with trust flags {}{}", entry_name(ca), *flags,
                                 state.trusted ? "" : " (no C: not trusted to issue server certificates)");
    }
    return state;
  }

  bool install(X509* ca) const override {
    require_store_writable();
    const std::string name = entry_name(ca);
    const std::optional<std::string> flags = trust_flags(name);
    if (flags && trusts_servers(*flags)) return false;
    if (flags) {
      require_success(certutil({"-M", "-n", name, "-t", "C,,"}), "certutil -M (trusting the CA)");
      return true;
    }
    const CaFile file(ca);
    require_success(certutil({"-A", "-n", name, "-t", "C,,", "-i", file.path().string()}),
                    "certutil -A (adding the CA)");
    return true;
  }

  bool uninstall(X509* ca) const override {
    require_store_writable();
    const std::string name = entry_name(ca);
    if (!trust_flags(name)) return false;
    require_success(certutil({"-D", "-n", name}), "certutil -D (removing the CA)");
    return true;
  }

 private:
  void require_database() const {
    std::error_code ignored;
    if (fs::exists(database_ / "cert9.db", ignored)) return;
    throw Error(Errc::Input,
                fmt::format("'{}' is not an NSS database: it has no cert9.db", database_.string()),
                fmt::format("give a Firefox profile folder or ~/.pki/nssdb; make an empty database with "
                            "`certutil -N -d sql:{} --empty-password`",
                            database_.string()));
  }

  void require_store_writable() const {
    require_database();
    require_writable(database_ / "cert9.db", "the NSS database", "krtool trust … --nss DIR");
  }

  process::Outcome certutil(std::vector<std::string> args) const {
    args.insert(args.begin(), {"-d", "sql:" + database_.string()});
    return run_tool(certutil_, args, kInstallHint);
  }

  // trust_flags reads `certutil -L`: one line per entry, the nickname, spaces, then "C,," and the like.
  std::optional<std::string> trust_flags(const std::string& name) const {
    require_database();
    const process::Outcome listed = certutil({"-L"});
    require_success(listed, "certutil -L (listing the database)");
    std::istringstream lines(listed.output);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with(name + " ")) continue;
      const std::size_t end = line.find_last_not_of(" \t\r");
      const std::size_t start = line.find_last_of(" \t", end);
      return line.substr(start + 1, end - start);
    }
    return std::nullopt;
  }

  static bool trusts_servers(const std::string& flags) {
    const std::string ssl = flags.substr(0, flags.find(','));
    return ssl.find('C') != std::string::npos;
  }

  fs::path database_;
  std::string certutil_;
};

}  // namespace

std::unique_ptr<TrustStore> nss_store(fs::path database, std::string certutil) {
  return std::make_unique<NssStore>(std::move(database), std::move(certutil));
}

std::vector<fs::path> nss_databases(const fs::path& home) {
  std::vector<fs::path> found;
  std::error_code ignored;
  if (fs::exists(home / ".pki/nssdb/cert9.db", ignored)) found.push_back(home / ".pki/nssdb");
  for (const fs::path& profiles :
       {home / ".mozilla/firefox", home / "snap/firefox/common/.mozilla/firefox"}) {
    std::vector<fs::path> here;
    for (const fs::directory_entry& entry : fs::directory_iterator(profiles, ignored)) {
      if (entry.is_directory(ignored) && fs::exists(entry.path() / "cert9.db", ignored))
        here.push_back(entry.path());
    }
    std::sort(here.begin(), here.end());
    found.insert(found.end(), here.begin(), here.end());
  }
  return found;
}

}  // namespace krtool::trust
