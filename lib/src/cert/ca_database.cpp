#include "krtool/cert/ca_database.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <system_error>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/util/files.hpp"
#include "util/json_depth.hpp"

namespace krtool::cert {
namespace {

constexpr std::string_view kFormat = "krtool-ca-db/1";

using Json = nlohmann::ordered_json;

// Reader walks the parsed document; every complaint names the file and the member.
struct Reader {
  std::string_view source;

  [[noreturn]] void fail(std::string_view what) const {
    throw Error(Errc::Input, fmt::format("CA database '{}': {}", source, what),
                "krtool writes this file; restore it from a backup, or delete it to start a new database "
                "(the CA then forgets what it issued and revoked)");
  }
  const Json& member(const Json& object, std::string_view name, std::string_view where) const {
    const auto found = object.find(std::string(name));
    if (found == object.end()) fail(fmt::format("{} has no \"{}\"", where, name));
    return *found;
  }
  std::string string(const Json& object, std::string_view name, std::string_view where) const {
    const Json& value = member(object, name, where);
    if (!value.is_string()) fail(fmt::format("\"{}\" of {} is not a string", name, where));
    return value.get<std::string>();
  }
  TimePoint time(const Json& object, std::string_view name, std::string_view where) const {
    const std::string text = string(object, name, where);
    try {
      // An RFC 3339 instant parses the same at any "now"; a relative offset ("1d") is not one.
      if (text.find('T') == std::string::npos) throw Error(Errc::Input, text);
      return parse_time_or_offset(text, TimePoint{}, name);
    } catch (const Error&) {
      fail(fmt::format("\"{}\" of {} is not an RFC 3339 time: '{}'", name, where, text));
    }
  }
  std::string serial(const Json& object, std::string_view where) const {
    const std::string text = string(object, "serial", where);
    try {
      return parse_serial(text, "serial");
    } catch (const Error&) {
      fail(fmt::format("\"serial\" of {} is not a serial number: '{}'", where, text));
    }
  }
  const Json& array(const Json& object, std::string_view name) const {
    const Json& value = member(object, name, "the database");
    if (!value.is_array()) fail(fmt::format("\"{}\" is not an array", name));
    if (value.size() > kMaxDatabaseRecords)
      fail(fmt::format("\"{}\" holds {} records, more than the limit of {}", name, value.size(),
                       kMaxDatabaseRecords));
    return value;
  }
};

}  // namespace

CaDatabaseLock::CaDatabaseLock(const std::filesystem::path& ca_file) {
  // O_NONBLOCK: opening a named pipe would otherwise wait for a writer. Only a regular file is locked;
  // anything else (a pipe, a missing file) is reported by whoever reads it next.
  fd_ = ::open(ca_file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) return;
  struct stat status {};
  if (::fstat(fd_, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

CaDatabaseLock::~CaDatabaseLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

CaDatabase::CaDatabase(X509* ca, bool tracks_issuance)
    : ca_subject_(format_dn(X509_get_subject_name(ca))),
      ca_thumbprint_(thumbprint_sha256(ca)),
      tracks_issuance_(tracks_issuance) {}

std::filesystem::path CaDatabase::path_for(const std::filesystem::path& ca_file) {
  return ca_file.parent_path() / (ca_file.stem().string() + ".db.json");
}

std::optional<CaDatabase> CaDatabase::load(const std::filesystem::path& ca_file, X509* ca) {
  const std::filesystem::path path = path_for(ca_file);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  const auto size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxDatabaseBytes) {
    throw Error(Errc::Input,
                fmt::format("CA database '{}' is {} bytes, more than the limit of {}", path.string(), size,
                            kMaxDatabaseBytes),
                "a development CA's database is small; is this the right file?");
  }
  return parse(files::read_file(path, "CA database"), path.string(), ca);
}

CaDatabase CaDatabase::parse(std::string_view text, std::string_view source, X509* ca) {
  const Reader read{source};
  if (text.size() > kMaxDatabaseBytes) read.fail("larger than the limit");
  if (const auto where = util::json_too_deep(text, false))
    read.fail(fmt::format("nested too deeply at line {}", where->line));
  Json document;
  try {
    document = Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    read.fail(fmt::format("not JSON: {}", e.what()));
  }
  if (!document.is_object()) read.fail("not a JSON object");
  const std::string format = read.string(document, "format", "the database");
  if (format != kFormat)
    read.fail(fmt::format("format '{}' is not one this krtool reads ('{}')", format, kFormat));

  CaDatabase db;
  const Json& owner = read.member(document, "ca", "the database");
  if (!owner.is_object()) read.fail("\"ca\" is not an object");
  db.ca_subject_ = read.string(owner, "subject", "\"ca\"");
  db.ca_thumbprint_ = read.string(owner, "sha256", "\"ca\"");
  const std::string expected = thumbprint_sha256(ca);
  if (db.ca_thumbprint_ != expected) {
    throw Error(
        Errc::Input,
        fmt::format("CA database '{}' belongs to another CA ('{}', SHA-256 {}), not to '{}' (SHA-256 {})",
                    source, db.ca_subject_, db.ca_thumbprint_, format_dn(X509_get_subject_name(ca)),
                    expected),
        "the CA was made again after its database; move the old database away, or delete it to "
        "start a new one");
  }
  const Json& tracks = read.member(document, "tracksIssuance", "the database");
  if (!tracks.is_boolean()) read.fail("\"tracksIssuance\" is not true or false");
  db.tracks_issuance_ = tracks.get<bool>();
  const Json& made = read.member(document, "crlsMade", "the database");
  if (!made.is_number_unsigned()) read.fail("\"crlsMade\" is not a non-negative integer");
  db.crls_made_ = made.get<std::uint64_t>();

  for (const Json& entry : read.array(document, "issued")) {
    if (!entry.is_object()) read.fail("an \"issued\" entry is not an object");
    IssuedCertificate issued;
    issued.serial = read.serial(entry, "an \"issued\" entry");
    issued.subject = read.string(entry, "subject", "an \"issued\" entry");
    issued.not_after = read.time(entry, "notAfter", "an \"issued\" entry");
    if (entry.contains("file")) issued.file = read.string(entry, "file", "an \"issued\" entry");
    db.issued_.push_back(std::move(issued));
  }
  for (const Json& entry : read.array(document, "revoked")) {
    if (!entry.is_object()) read.fail("a \"revoked\" entry is not an object");
    Revocation revocation;
    revocation.serial = read.serial(entry, "a \"revoked\" entry");
    revocation.revoked_at = read.time(entry, "revokedAt", "a \"revoked\" entry");
    const std::string reason = read.string(entry, "reason", "a \"revoked\" entry");
    try {
      revocation.reason = parse_revocation_reason(reason, "reason");
    } catch (const Error&) {
      read.fail(fmt::format("\"reason\" '{}' is not an RFC 5280 reason", reason));
    }
    if (db.find_revocation(revocation.serial) != nullptr)
      read.fail(fmt::format("serial {} is revoked twice", revocation.serial));
    db.revoked_.push_back(std::move(revocation));
  }
  return db;
}

std::string CaDatabase::to_json() const {
  Json document;
  document["format"] = kFormat;
  document["ca"] = {{"subject", ca_subject_}, {"sha256", ca_thumbprint_}};
  document["tracksIssuance"] = tracks_issuance_;
  document["crlsMade"] = crls_made_;
  document["issued"] = Json::array();
  for (const IssuedCertificate& issued : issued_) {
    document["issued"].push_back({{"serial", issued.serial},
                                  {"subject", issued.subject},
                                  {"notAfter", format_rfc3339(issued.not_after)},
                                  {"file", issued.file}});
  }
  document["revoked"] = Json::array();
  for (const Revocation& revocation : revoked_) {
    document["revoked"].push_back({{"serial", revocation.serial},
                                   {"revokedAt", format_rfc3339(revocation.revoked_at)},
                                   {"reason", revocation_reason_name(revocation.reason)}});
  }
  return document.dump(2) + "\n";
}

void CaDatabase::save(const std::filesystem::path& ca_file) const {
  files::write_file(path_for(ca_file), to_json(), files::FileMode::Public, true, "CA database");
}

void CaDatabase::record(X509* certificate, std::string file) {
  const std::string serial = serial_hex(certificate);
  const std::string issuer = format_dn(X509_get_issuer_name(certificate));
  if (issuer != ca_subject_) {
    throw Error(Errc::Input, fmt::format("certificate {} was issued by '{}', not by this database's CA '{}'",
                                         serial, issuer, ca_subject_));
  }
  if (find_issued(serial) != nullptr) {
    throw Error(Errc::Input,
                fmt::format("the CA database already records a certificate with serial {}", serial),
                "serial numbers are random and never reused; this certificate was recorded before");
  }
  IssuedCertificate issued;
  issued.serial = serial;
  issued.subject = format_dn(X509_get_subject_name(certificate));
  issued.not_after = from_asn1_time(X509_get0_notAfter(certificate), "the certificate's notAfter");
  issued.file = std::move(file);
  issued_.push_back(std::move(issued));
}

const Revocation& CaDatabase::revoke(std::string_view serial, TimePoint at, RevocationReason reason) {
  if (const Revocation* earlier = find_revocation(serial)) {
    throw Error(Errc::Input,
                fmt::format("serial {} is already revoked (since {}, {})", serial,
                            format_rfc3339(earlier->revoked_at), revocation_reason_name(earlier->reason)),
                "a revocation is final; nothing to do");
  }
  if (tracks_issuance_ && find_issued(serial) == nullptr) {
    throw Error(Errc::Input, fmt::format("CA '{}' never issued serial {}", ca_subject_, serial),
                "check the serial (`krtool import CERT` prints it); its database lists what it issued");
  }
  revoked_.push_back(Revocation{std::string(serial), at, reason});
  return revoked_.back();
}

const IssuedCertificate* CaDatabase::find_issued(std::string_view serial) const {
  const auto found = std::find_if(issued_.begin(), issued_.end(),
                                  [&](const IssuedCertificate& issued) { return issued.serial == serial; });
  return found == issued_.end() ? nullptr : &*found;
}

const Revocation* CaDatabase::find_revocation(std::string_view serial) const {
  const auto found = std::find_if(revoked_.begin(), revoked_.end(),
                                  [&](const Revocation& revocation) { return revocation.serial == serial; });
  return found == revoked_.end() ? nullptr : &*found;
}

}  // namespace krtool::cert
