// krtool trust install|uninstall|check [CA]: a development CA in the stores the user names, and no
// other (mkcert -install, New-KrSelfSignedCertificate -TrustRoot). The stores are in lib/src/trust.
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "command.hpp"
#include "common.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/dev_root.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/trust/store.hpp"

namespace krtool::app {
namespace {
namespace fs = std::filesystem;

struct TrustOptions {
  std::string action;
  std::string ca;
  bool system = false;
  std::string system_dir, etc_certs_dir, certs_conf, certs_dir, hooks_dir;
  std::string update_command = "update-ca-certificates";
  std::vector<std::string> nss;
  bool nss_auto = false;
  std::string java;
  bool java_cacerts = false;
  std::string java_storepass = "changeit";
  bool json = false;
};

std::vector<std::unique_ptr<trust::TrustStore>> chosen_stores(const TrustOptions& o) {
  std::vector<std::unique_ptr<trust::TrustStore>> stores;
  if (o.system) {
    trust::SystemStoreOptions system;
    system.local_dir_given = !o.system_dir.empty();
    system.etc_dir_given = !o.etc_certs_dir.empty();
    if (system.local_dir_given) system.local_certs_dir = o.system_dir;
    if (system.etc_dir_given) system.etc_certs_dir = o.etc_certs_dir;
    if (!o.certs_conf.empty()) system.certs_conf = o.certs_conf;
    if (!o.certs_dir.empty()) system.certs_dir = o.certs_dir;
    if (!o.hooks_dir.empty()) system.hooks_dir = o.hooks_dir;
    system.update_command = o.update_command;
    stores.push_back(trust::system_store(system));
  }
  std::vector<fs::path> databases(o.nss.begin(), o.nss.end());
  if (o.nss_auto) {
    const char* home = std::getenv("HOME");
    const std::vector<fs::path> found = trust::nss_databases(home == nullptr ? "" : home);
    if (found.empty() && !o.system && o.nss.empty() && o.java.empty() && !o.java_cacerts) {
      throw Error(Errc::Input, "--nss-auto found no NSS database (~/.pki/nssdb, Firefox profiles)",
                  "start the browser once so that it makes one, or name one with --nss DIR");
    }
    if (found.empty()) warn("--nss-auto found no NSS database (~/.pki/nssdb, Firefox profiles)");
    databases.insert(databases.end(), found.begin(), found.end());
  }
  for (const fs::path& database : databases) stores.push_back(trust::nss_store(database));
  if (!o.java.empty() || o.java_cacerts) {
    stores.push_back(trust::java_store({o.java, o.java_cacerts, o.java_storepass, "keytool"}));
  }
  if (stores.empty()) {
    throw Error(Errc::Usage,
                fmt::format("krtool trust {} needs a store: it changes only the ones named", o.action),
                "add --system (Debian's store, needs root), --nss DIR or --nss-auto (Firefox, Chromium), "
                "--java KEYSTORE or --java-cacerts");
  }
  return stores;
}

ossl::UniquePtr<X509> chosen_ca(const TrustOptions& o) {
  if (!o.ca.empty()) return trust::load_ca(o.ca);
  // The development root (new-selfsigned --development, $KRTOOL_CAROOT) is the default once it exists,
  // as mkcert -install trusts its CAROOT.
  const std::filesystem::path root = cert::development_root_folder() / cert::kDevelopmentRootCertificate;
  if (std::filesystem::exists(root)) return trust::load_ca(root);
  throw Error(Errc::Usage,
              fmt::format("no CA given and no development root in {} yet", root.parent_path().string()),
              "run krtool new-selfsigned --development (or serve --self-signed) to make it, or name a CA: "
              "krtool trust install --nss-auto ca.pem");
}

int run_trust(const TrustOptions& o) {
  const std::vector<std::unique_ptr<trust::TrustStore>> stores = chosen_stores(o);
  const ossl::UniquePtr<X509> ca = chosen_ca(o);
  nlohmann::json results = nlohmann::json::array();
  bool all_trusted = true;
  std::vector<std::string> lines;
  for (const std::unique_ptr<trust::TrustStore>& store : stores) {
    std::optional<bool> changed;
    if (o.action == "install") changed = store->install(ca.get());
    if (o.action == "uninstall") changed = store->uninstall(ca.get());
    const trust::StoreState state = store->check(ca.get());
    all_trusted = all_trusted && state.trusted;
    nlohmann::json entry = trust::to_json(state);
    entry["changed"] = changed ? nlohmann::json(*changed) : nlohmann::json(nullptr);
    results.push_back(entry);
    std::string verb = state.trusted ? "trusted" : "not trusted";
    if (changed)
      verb = o.action == "install" ? (*changed ? "installed" : "already installed")
                                   : (*changed ? "removed" : "was not installed");
    lines.push_back(fmt::format("{:<18} {} {}: {}", verb, state.kind, state.location, state.detail));
  }
  if (o.json) {
    print_json({{"action", o.action},
                {"ca",
                 {{"subject", cert::format_dn(X509_get_subject_name(ca.get()))},
                  {"thumbprint", cert::thumbprint(ca.get())},
                  {"thumbprintSha256", cert::thumbprint_sha256(ca.get())},
                  {"entry", trust::entry_name(ca.get())}}},
                {"trusted", all_trusted},
                {"stores", results}});
  } else {
    std::cout << cert::format_dn(X509_get_subject_name(ca.get())) << " (" << trust::entry_name(ca.get())
              << ")\n";
    for (const std::string& line : lines) std::cout << "  " << line << '\n';
    std::cout.flush();
  }
  // check is a check: exit 1 when a named store does not trust the CA. A change that went through is 0.
  if (o.action == "check") return all_trusted ? 0 : 1;
  return 0;
}

}  // namespace

void setup_trust(CLI::App& parent, Runner& runner) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* command = parent.add_subcommand(
      "trust",
      "Install, remove or check a development CA in the system, NSS (browser) and Java trust stores");
  command->add_option("ACTION", o->action, "install, uninstall or check")
      ->required()
      ->check(CLI::IsMember({"install", "uninstall", "check"}))
      ->option_text("install|uninstall|check");
  command->add_option("CA", o->ca, "The CA certificate (PEM, DER or PFX); default: the development root")
      ->option_text("FILE");
  const std::string system = "System store (Debian; needs root)";
  command
      ->add_flag("--system", o->system,
                 "Debian's store: copy into the local CA folder, run update-ca-certificates")
      ->group(system);
  command
      ->add_option("--system-dir", o->system_dir,
                   "The local CA folder (default /usr/local/share/ca-certificates)")
      ->group(system)
      ->option_text("DIR");
  command
      ->add_option("--etc-certs-dir", o->etc_certs_dir,
                   "The folder of links and the bundle (default /etc/ssl/certs)")
      ->group(system)
      ->option_text("DIR");
  command->add_option("--ca-certificates-conf", o->certs_conf, "update-ca-certificates --certsconf FILE")
      ->group(system)
      ->option_text("FILE");
  command
      ->add_option("--certs-dir", o->certs_dir,
                   "update-ca-certificates --certsdir DIR (the distribution's CAs)")
      ->group(system)
      ->option_text("DIR");
  command->add_option("--hooks-dir", o->hooks_dir, "update-ca-certificates --hooksdir DIR")
      ->group(system)
      ->option_text("DIR");
  command->add_option("--update-command", o->update_command, "The program that rebuilds the store")
      ->group(system)
      ->option_text("PROGRAM");
  const std::string nss = "NSS databases (Firefox, Chromium; certutil)";
  command->add_option("--nss", o->nss, "An NSS database folder (a Firefox profile, ~/.pki/nssdb); repeatable")
      ->group(nss)
      ->allow_extra_args(false)
      ->option_text("DIR");
  command
      ->add_flag("--nss-auto", o->nss_auto,
                 "Every NSS database of this user: ~/.pki/nssdb and Firefox profiles")
      ->group(nss);
  const std::string java = "Java keystores (keytool)";
  command->add_option("--java", o->java, "A Java keystore file (made when absent)")
      ->group(java)
      ->option_text("KEYSTORE");
  command->add_flag("--java-cacerts", o->java_cacerts, "The JDK's own cacerts (needs root)")->group(java);
  command->add_option("--java-storepass", o->java_storepass, "The keystore's password (default changeit)")
      ->group(java)
      ->option_text("PASSWORD");
  command->add_flag("--json", o->json,
                    "Print one JSON document: the CA and, per store, whether it trusts it");
  command->callback([&runner, o] { runner.action = [o] { return run_trust(*o); }; });
}

}  // namespace krtool::app
