// CaDatabase is what a krtool development CA remembers: every certificate it issued and every
// revocation, plus the number of the last CRL it made. It lives in one JSON file beside the CA,
// "<folder>/<base>.db.json" for "<folder>/<base>.pem" (or .pfx, .crt, ...), rather than in a folder
// as `openssl ca` keeps index.txt, serial and crlnumber: one file is renamed into place as a whole, so
// a reader never sees half an update, and it can be read, diffed and deleted like the CA's other files.
// The format (docs/client-certificate-authentication.md, section 8.2) is versioned by its "format" member.
//
// A database made with its CA (new-selfsigned --ca) tracks issuance: it knows every certificate the
// CA issued, so a serial it does not list was never issued (revoke refuses it, OCSP answers unknown).
// A database started later for a CA made elsewhere (krtool revoke creates one) does not: it lists
// what it was told.
//
// A database is tied to its CA by the CA's SHA-256 thumbprint: a database beside a CA that was made
// again is refused rather than mixed up. Commands that read, change and save a database hold a
// CaDatabaseLock meanwhile, so that two of them at once (parallel new-selfsigned --issuer) lose no
// record; readers need none, since a save is one rename.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/cert/revocation.hpp"
#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

// Reading limits: a development CA issues tens of certificates; a file far beyond these is not a
// database krtool wrote.
inline constexpr std::size_t kMaxDatabaseBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxDatabaseRecords = 100'000;

struct IssuedCertificate {
  std::string serial;   // serial_hex spelling
  std::string subject;  // format_dn spelling
  TimePoint not_after;
  std::string file;  // where the certificate was written, as given on the command line; "" when unknown
};

// CaDatabaseLock holds an exclusive flock(2) on the CA file itself (never replaced by a database
// save, so no lock file is left behind) until it is destroyed. It waits for another holder.
class CaDatabaseLock {
 public:
  explicit CaDatabaseLock(const std::filesystem::path& ca_file);
  ~CaDatabaseLock();
  CaDatabaseLock(const CaDatabaseLock&) = delete;
  CaDatabaseLock& operator=(const CaDatabaseLock&) = delete;

 private:
  int fd_ = -1;
};

class CaDatabase {
 public:
  // An empty database for `ca`; see above for `tracks_issuance`.
  explicit CaDatabase(X509* ca, bool tracks_issuance = true);

  // path_for gives where the database of the CA in `ca_file` lives.
  static std::filesystem::path path_for(const std::filesystem::path& ca_file);

  // load reads the database beside `ca_file`: nullopt when there is none (a CA made elsewhere).
  // Error(Input) naming the file when it is unreadable, not JSON, of another format, larger than the
  // limits above, or belongs to another CA than `ca`.
  static std::optional<CaDatabase> load(const std::filesystem::path& ca_file, X509* ca);

  // parse / to_json are load and save without the file; `source` names the text in errors.
  static CaDatabase parse(std::string_view text, std::string_view source, X509* ca);
  std::string to_json() const;

  // save writes the database beside `ca_file` atomically (a temporary file renamed into place),
  // replacing the previous one.
  void save(const std::filesystem::path& ca_file) const;

  // record adds a certificate this CA issued. Error(Input) when it was not issued by this CA or its
  // serial is already recorded (a serial is never reused).
  void record(X509* certificate, std::string file);

  // revoke records a revocation of a serial in serial_hex spelling. Error(Input) when it is already
  // revoked, or when the database tracks issuance and does not list it. Returns the new record.
  const Revocation& revoke(std::string_view serial, TimePoint at, RevocationReason reason);

  const IssuedCertificate* find_issued(std::string_view serial) const;
  const Revocation* find_revocation(std::string_view serial) const;
  const std::vector<IssuedCertificate>& issued() const { return issued_; }
  const std::vector<Revocation>& revocations() const { return revoked_; }

  // crl_number is the cRLNumber under which the database's current state is published: the count of
  // CRLs made with `new-crl` (count_crl) plus the count of revocations. It grows with every
  // revocation and every new-crl, and a server publishing the current state (serve's crl: route)
  // needs not write the database; two CRLs share a number only when they list the same revocations.
  std::uint64_t crl_number() const { return crls_made_ + revoked_.size(); }
  void count_crl() { ++crls_made_; }

  bool tracks_issuance() const { return tracks_issuance_; }
  const std::string& ca_subject() const { return ca_subject_; }
  const std::string& ca_thumbprint_sha256() const { return ca_thumbprint_; }

 private:
  CaDatabase() = default;
  std::string ca_subject_, ca_thumbprint_;
  bool tracks_issuance_ = true;
  std::uint64_t crls_made_ = 0;
  std::vector<IssuedCertificate> issued_;
  std::vector<Revocation> revoked_;
};

}  // namespace krtool::cert
