// krtool revoke: record revocations in a development CA's database, which new-crl and serve's crl: and
// ocsp: routes publish.
#include <fmt/format.h>

#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "issuer.hpp"
#include "krtool/cert/ca_database.hpp"
#include "krtool/error.hpp"

namespace krtool::app {
namespace {

struct RevokeOptions {
  std::string issuer;
  PasswordFlags issuer_password;
  std::vector<std::string> targets;
  std::string reason = "unspecified";
  bool json = false;
};

int run_revoke(const RevokeOptions& o) {
  const cert::RevocationReason reason = cert::parse_revocation_reason(o.reason);
  const cert::CertBundle ca = load_issuer_bundle(o.issuer, "", o.issuer_password, false);
  const std::filesystem::path db_path = cert::CaDatabase::path_for(o.issuer);
  const cert::CaDatabaseLock lock(o.issuer);
  std::optional<cert::CaDatabase> db = cert::CaDatabase::load(o.issuer, ca.certificate.get());
  const bool started = !db.has_value();
  // A CA made elsewhere gets a database that lists only what it is told, so that new-crl and the
  // crl:/ocsp: routes can publish the revocation; it cannot say what the CA never issued.
  if (started) db.emplace(ca.certificate.get(), false);

  const TimePoint now = now_seconds();
  std::vector<cert::Revocation> revoked;
  for (const std::string& target : o.targets) {
    const std::string serial = cert::revocation_serial(target, ca.certificate.get(), "revoke");
    revoked.push_back(db->revoke(serial, now, reason));
  }
  db->save(o.issuer);
  if (started) {
    warn(
        fmt::format("'{}' had no database (it was not made by krtool new-selfsigned --ca); started {}, "
                    "which lists only the certificates you revoke",
                    o.issuer, db_path.string()));
  }

  if (o.json) {
    nlohmann::json document;
    document["database"] = db_path.string();
    document["revoked"] = nlohmann::json::array();
    for (const cert::Revocation& revocation : revoked) {
      const cert::IssuedCertificate* issued = db->find_issued(revocation.serial);
      document["revoked"].push_back(
          {{"serial", revocation.serial},
           {"subject", issued != nullptr ? nlohmann::json(issued->subject) : nullptr},
           {"revokedAt", format_rfc3339(revocation.revoked_at)},
           {"reason", cert::revocation_reason_name(revocation.reason)}});
    }
    print_json(document);
    return 0;
  }
  for (const cert::Revocation& revocation : revoked) {
    const cert::IssuedCertificate* issued = db->find_issued(revocation.serial);
    std::cout << fmt::format("Revoked {}{} at {} ({})\n", revocation.serial,
                             issued != nullptr ? fmt::format(" ({})", issued->subject) : "",
                             format_rfc3339(revocation.revoked_at),
                             cert::revocation_reason_name(revocation.reason));
  }
  std::cout << fmt::format(
      "Recorded in {}; publish it with krtool new-crl --issuer {} --out ca.crl, or serve "
      "--route 'GET /crl crl:{}' (which picks it up at once)\n",
      db_path.string(), o.issuer, o.issuer);
  return 0;
}

}  // namespace

void setup_revoke(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<RevokeOptions>();
  RevokeOptions& o = *options;
  CLI::App* cmd = parent.add_subcommand("revoke", "Revoke certificates in a development CA's database");
  cmd->add_option("certificates", o.targets, "Certificate files, or serial numbers in hexadecimal")
      ->option_text("SERIAL|CERTFILE ...")
      ->required();
  cmd->add_option("--issuer", o.issuer, "The CA (its database is <base>.db.json beside it)")
      ->option_text("FILE")
      ->group("CA")
      ->required();
  o.issuer_password.add_to(cmd, "issuer-", "the CA file");
  cmd->add_option("--reason", o.reason,
                  "RFC 5280 reason: keyCompromise, cACompromise, superseded, ... (default unspecified)")
      ->option_text("NAME")
      ->group("Revocation");
  cmd->add_flag("--json", o.json, "Print the records as JSON")->group("Output");
  cmd->callback([&runner, options] { runner.action = [options] { return run_revoke(*options); }; });
}

}  // namespace krtool::app
