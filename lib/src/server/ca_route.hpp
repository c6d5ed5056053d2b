// What the crl: and ocsp: routes share: their argument's grammar, and the CA with its database, which
// is read again whenever the file changes (krtool revoke in another terminal shows at once).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "krtool/cert/bundle.hpp"
#include "krtool/cert/ca_database.hpp"

namespace krtool::server::detail {

// CaRouteArgument is "CA[,responder=FILE][,password-file=FILE][,password-env=NAME]": the CA file (its
// database is <base>.db.json beside it), a delegated OCSP responder (ocsp: only), and where the
// password of the signing key comes from (the CA's, or the responder's when one is given). File
// names cannot hold a comma here.
struct CaRouteArgument {
  std::string ca, responder, password_file, password_env;
};
// parse_ca_route_argument throws Error(Usage) for an unknown option or responder= on a crl: route.
CaRouteArgument parse_ca_route_argument(std::string_view text, std::string_view handler);
std::string format_ca_route_argument(const CaRouteArgument& argument);

// CaSource holds a CA and its database. database() returns the database as it is on disk now (an
// empty one that does not track issuance while there is no file), read again when the file's time or
// size changed, with a generation number that changes with it. Thread-safe.
class CaSource {
 public:
  // Loads the CA (with its key when `with_key`) and checks its database once, so that a wrong file
  // stops serve at start-up. Error(Input) naming the file.
  CaSource(const CaRouteArgument& argument, bool with_key);

  struct Snapshot {
    std::shared_ptr<const cert::CaDatabase> database;
    std::uint64_t generation = 0;
  };
  Snapshot database() const;  // Error(Input) when the file became unreadable or damaged

  const cert::CertBundle& ca() const { return ca_; }
  const std::filesystem::path& ca_file() const { return ca_file_; }

 private:
  std::filesystem::path ca_file_;
  cert::CertBundle ca_;
  mutable std::mutex mutex_;
  mutable Snapshot current_;
  mutable std::filesystem::file_time_type seen_time_{};
  mutable std::uintmax_t seen_size_ = static_cast<std::uintmax_t>(-1);
};

// load_signing_bundle loads a CA or responder file with its key, the password from the argument.
cert::CertBundle load_signing_bundle(const std::string& file, const CaRouteArgument& argument, bool with_key);

}  // namespace krtool::server::detail
