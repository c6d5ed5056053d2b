// krtool new-crl: a signed CRL for a development CA, from its database's revocations plus any named
// on the command line.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "issuer.hpp"
#include "krtool/cert/ca_database.hpp"
#include "krtool/cert/crl_builder.hpp"
#include "krtool/error.hpp"
#include "krtool/util/ascii.hpp"
#include "krtool/util/files.hpp"
#include "output_files.hpp"

namespace krtool::app {
namespace {

struct NewCrlOptions {
  std::string issuer, issuer_key;
  PasswordFlags issuer_password;
  std::vector<std::string> revoke;
  std::string reason = "unspecified";
  std::string this_update, next_update = "7d";
  std::string out, format;
  bool force = false;
  bool json = false;
};

// crl_is_pem: PEM for .pem, DER for .crl, .der and .cer (a CRL distribution point serves DER, RFC
// 5280 4.2.1.13, and Windows opens .crl as DER); --format overrides.
bool crl_is_pem(const std::filesystem::path& out, const std::string& format) {
  if (format == "pem") return true;
  if (format == "der") return false;
  if (!format.empty()) {
    throw Error(Errc::Usage, fmt::format("--format: '{}' is not a CRL format", format), "use pem or der");
  }
  const std::string extension = util::lower(out.extension().string());
  if (extension == ".pem") return true;
  if (extension == ".crl" || extension == ".der" || extension == ".cer") return false;
  throw Error(Errc::Usage, fmt::format("--out '{}': cannot tell PEM from DER by its extension", out.string()),
              "name it .crl or .der (DER) or .pem (PEM), or give --format pem|der");
}

int run_new_crl(const NewCrlOptions& o) {
  const bool pem = crl_is_pem(o.out, o.format);
  const cert::RevocationReason reason = cert::parse_revocation_reason(o.reason);
  const TimePoint now = now_seconds();
  cert::CrlSpec spec;
  spec.this_update = o.this_update.empty() ? now : parse_time_or_offset(o.this_update, now, "--this-update");
  spec.next_update = parse_time_or_offset(o.next_update, now, "--next-update");

  const cert::CertBundle ca = load_issuer_bundle(o.issuer, o.issuer_key, o.issuer_password, true);
  const cert::CaDatabaseLock lock(o.issuer);
  std::optional<cert::CaDatabase> db = cert::CaDatabase::load(o.issuer, ca.certificate.get());
  for (const std::string& target : o.revoke) {
    const std::string serial = cert::revocation_serial(target, ca.certificate.get(), "--revoke");
    if (!db) {
      spec.revoked.push_back({serial, now, reason});
    } else if (db->find_revocation(serial) == nullptr) {
      db->revoke(serial, now, reason);  // kept, so that the next CRL still lists it
    }
  }
  if (db) {
    db->count_crl();
    spec.crl_number = db->crl_number();
    spec.revoked.insert(spec.revoked.end(), db->revocations().begin(), db->revocations().end());
  } else {
    // Without a database nothing remembers the last number; the time keeps them increasing.
    spec.crl_number = static_cast<std::uint64_t>(to_time_t(spec.this_update));
  }
  const ossl::UniquePtr<X509_CRL> crl = cert::build_crl(ca, spec);

  // The CRL first, the database last: a failed write leaves the database as it was, and a database
  // that failed to save after the CRL was written only means the next CRL reuses a number.
  files::write_file(o.out, pem ? cert::crl_pem(crl.get()) : cert::crl_der(crl.get()), files::FileMode::Public,
                    o.force, "CRL");
  if (db) db->save(o.issuer);

  if (o.json) {
    nlohmann::json document;
    document["written"] = {o.out};
    document["database"] = db ? nlohmann::json(cert::CaDatabase::path_for(o.issuer).string()) : nullptr;
    document["crlNumber"] = spec.crl_number;
    document["thisUpdate"] = format_rfc3339(spec.this_update);
    document["nextUpdate"] = format_rfc3339(spec.next_update);
    document["revoked"] = nlohmann::json::array();
    for (const cert::Revocation& revocation : spec.revoked) {
      document["revoked"].push_back({{"serial", revocation.serial},
                                     {"revokedAt", format_rfc3339(revocation.revoked_at)},
                                     {"reason", cert::revocation_reason_name(revocation.reason)}});
    }
    print_json(document);
    return 0;
  }
  std::cout << fmt::format("Wrote {} ({}): CRL number {}, {} revoked, next update {}\n", o.out,
                           pem ? "PEM" : "DER", spec.crl_number, spec.revoked.size(),
                           format_rfc3339(spec.next_update));
  if (!db) {
    warn(
        fmt::format("'{}' has no database: this CRL lists only the --revoke certificates, and the next one "
                    "will list only its own; krtool revoke starts a database that remembers them",
                    o.issuer));
  }
  return 0;
}

}  // namespace

void setup_new_crl(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<NewCrlOptions>();
  NewCrlOptions& o = *options;
  CLI::App* cmd = parent.add_subcommand("new-crl", "Make a signed CRL for a development CA");
  cmd->add_option("--issuer", o.issuer,
                  "The CA that signs (with its key); its database gives the revocations")
      ->option_text("FILE")
      ->group("CA")
      ->required();
  cmd->add_option("--issuer-key", o.issuer_key, "The CA's key when it is in a separate file")
      ->option_text("FILE")
      ->group("CA");
  o.issuer_password.add_to(cmd, "issuer-", "the CA file or its key");
  cmd->add_option("--revoke", o.revoke, "Also revoke this certificate file or serial (repeatable)")
      ->option_text("SERIAL|CERTFILE")
      ->group("Revocation");
  cmd->add_option(
         "--reason", o.reason,
         "RFC 5280 reason for the --revoke ones: keyCompromise, superseded, ... (default unspecified)")
      ->option_text("NAME")
      ->group("Revocation");
  cmd->add_option("--this-update", o.this_update,
                  "Issue time: RFC 3339 or an offset such as -2d (default now)")
      ->option_text("TIME")
      ->group("Validity");
  cmd->add_option("--next-update", o.next_update, "When the next CRL is due: offset such as 7d, or RFC 3339")
      ->option_text("TIME")
      ->group("Validity");
  cmd->add_option("--out", o.out, "The CRL file: .crl or .der (DER), .pem (PEM)")
      ->option_text("FILE")
      ->check(non_empty_path())
      ->group("Output")
      ->required();
  cmd->add_option("--format", o.format, "pem or der (default: from the extension of --out)")
      ->option_text("pem|der")
      ->group("Output");
  cmd->add_flag("--force", o.force, "Overwrite an existing CRL file")->group("Output");
  cmd->add_flag("--json", o.json, "Print the result as JSON")->group("Output");
  cmd->callback([&runner, options] { runner.action = [options] { return run_new_crl(*options); }; });
}

}  // namespace krtool::app
