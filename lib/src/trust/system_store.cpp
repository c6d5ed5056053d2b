// Debian's system store: a CA is a .crt file in /usr/local/share/ca-certificates, and
// update-ca-certificates links it into /etc/ssl/certs (hash links for -CApath) and appends it to
// ca-certificates.crt (the bundle OpenSSL, curl, Python and Go read). Both folders belong to root.
#include <fmt/format.h>

#include <system_error>

#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/trust/store.hpp"
#include "krtool/util/files.hpp"
#include "trust/tool.hpp"

namespace krtool::trust {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kInstallHint =
    "install Debian's ca-certificates package (apt install ca-certificates), or name the command that "
    "rebuilds the store with --update-command";

class SystemStore final : public TrustStore {
 public:
  explicit SystemStore(SystemStoreOptions options) : options_(std::move(options)) {}

  std::string kind() const override { return "system"; }
  std::string location() const override { return options_.etc_certs_dir.string(); }

  StoreState check(X509* ca) const override {
    StoreState state{kind(), location(), false, ""};
    const fs::path copy = copy_path(ca);
    const fs::path bundle = options_.etc_certs_dir / "ca-certificates.crt";
    std::error_code ignored;
    const bool copied = fs::exists(copy, ignored);
    bool in_bundle = false;
    if (fs::exists(bundle, ignored)) {
      for (const ossl::UniquePtr<X509>& member : formats::load_certificates(bundle)) {
        if (X509_cmp(member.get(), ca) == 0) in_bundle = true;
      }
    }
    state.trusted = in_bundle;
    if (in_bundle && copied) {
      state.detail = fmt::format("in {} (from {})", bundle.string(), copy.string());
    } else if (in_bundle) {
      state.detail = fmt::format("in {}, not put there by krtool", bundle.string());
    } else if (copied) {
      state.detail = fmt::format("{} is there, but {} does not hold it yet: run update-ca-certificates",
                                 copy.string(), bundle.string());
    } else {
      state.detail = fmt::format("not in {}", bundle.string());
    }
    return state;
  }

  bool install(X509* ca) const override {
    require_store_writable();
    const fs::path copy = copy_path(ca);
    const std::string pem = formats::encode_pem_certificate(ca);
    std::error_code ignored;
    bool changed = true;
    if (fs::exists(copy, ignored)) changed = files::read_file(copy, "installed CA") != pem;
    if (changed) {
      fs::create_directories(options_.local_certs_dir, ignored);
      files::write_file(copy, pem, files::FileMode::Public, true, "CA copy in the system store");
    }
    // Run even when the copy was there: a store whose update was interrupted is repaired.
    update(false);
    return changed;
  }

  bool uninstall(X509* ca) const override {
    require_store_writable();
    const fs::path copy = copy_path(ca);
    std::error_code error;
    const bool removed = fs::remove(copy, error);
    if (error) {
      throw Error(Errc::Input, fmt::format("cannot remove '{}': {}", copy.string(), error.message()));
    }
    // --fresh: without it update-ca-certificates keeps the links of a file that is gone.
    update(true);
    return removed;
  }

 private:
  fs::path copy_path(X509* ca) const { return options_.local_certs_dir / (entry_name(ca) + ".crt"); }

  void require_store_writable() const {
    require_writable(options_.local_certs_dir, "the system trust store", "krtool trust … --system");
    require_writable(options_.etc_certs_dir, "the system trust store", "krtool trust … --system");
  }

  void update(bool fresh) const {
    std::vector<std::string> args;
    if (fresh) args.emplace_back("--fresh");
    const auto add = [&args](const char* flag, const fs::path& value) {
      args.emplace_back(flag);
      args.push_back(value.string());
    };
    if (options_.local_dir_given) add("--localcertsdir", options_.local_certs_dir);
    if (options_.etc_dir_given) add("--etccertsdir", options_.etc_certs_dir);
    if (options_.certs_conf) add("--certsconf", *options_.certs_conf);
    if (options_.certs_dir) add("--certsdir", *options_.certs_dir);
    if (options_.hooks_dir) add("--hooksdir", *options_.hooks_dir);
    require_success(run_tool(options_.update_command, args, kInstallHint), options_.update_command);
  }

  SystemStoreOptions options_;
};

}  // namespace

std::unique_ptr<TrustStore> system_store(SystemStoreOptions options) {
  return std::make_unique<SystemStore>(std::move(options));
}

}  // namespace krtool::trust
