// The CA that `krtool trust` puts into stores, and the name it has there.
#include <fmt/format.h>

#include <algorithm>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/trust/store.hpp"
#include "krtool/util/ascii.hpp"

namespace krtool::trust {

ossl::UniquePtr<X509> load_ca(const std::filesystem::path& path) {
  std::vector<ossl::UniquePtr<X509>> certificates = formats::load_certificates(path);
  if (certificates.empty()) {
    throw Error(Errc::Input, fmt::format("'{}' holds no certificate", path.string()),
                "give the CA's certificate (PEM, DER or PFX)");
  }
  ossl::UniquePtr<X509> ca = std::move(certificates.front());
  // A leaf in a trust store is a trust anchor for nothing but itself, and browsers ignore it: refuse it
  // here rather than let the user wonder why the server is still untrusted.
  if ((X509_get_extension_flags(ca.get()) & EXFLAG_CA) == 0) {
    throw Error(
        Errc::Input,
        fmt::format("'{}' is not a CA certificate ({}): trust stores hold the issuer, not a server's "
                    "or a client's own certificate",
                    path.string(), cert::format_dn(X509_get_subject_name(ca.get()))),
        "give the root that signed it (krtool new-selfsigned --development writes it as <name>-root.*)");
  }
  return ca;
}

std::string entry_name(X509* ca) {
  return "krtool-" + util::lower(cert::thumbprint_sha256(ca).substr(0, 16));
}

nlohmann::json to_json(const StoreState& state) {
  return {{"store", state.kind},
          {"location", state.location},
          {"trusted", state.trusted},
          {"detail", state.detail}};
}

}  // namespace krtool::trust
