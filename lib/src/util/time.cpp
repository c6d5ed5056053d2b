#include "krtool/util/time.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <optional>

#include "krtool/error.hpp"
#include "krtool/ossl.hpp"

namespace krtool {
namespace {

[[noreturn]] void bad_time(std::string_view text, std::string_view flag) {
  throw Error(Errc::Usage,
              fmt::format("{}: '{}' is neither an RFC 3339 time nor a signed duration", flag, text),
              "use a time such as 2027-01-31T12:00:00Z, or an offset from now such as -2d, +30d or 12h");
}

bool read_number(std::string_view& s, long long& out) {
  size_t i = 0;
  out = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
    out = out * 10 + (s[i] - '0');
    if (out > 1'000'000'000LL) return false;
    ++i;
  }
  if (i == 0) return false;
  s.remove_prefix(i);
  return true;
}

std::optional<long long> parse_duration_seconds(std::string_view s) {
  long long sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  long long total = 0;
  while (!s.empty()) {
    long long n = 0;
    if (!read_number(s, n) || s.empty()) return std::nullopt;
    long long unit = 0;
    switch (s[0]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      case 'y':
        unit = 365 * 86400;
        break;
      default:
        return std::nullopt;
    }
    s.remove_prefix(1);
    total += n * unit;
  }
  return sign * total;
}

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DD, optionally followed by THH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  const std::string text(s);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3 || consumed != 10) {
    return std::nullopt;
  }
  long long offset = 0;
  std::string_view rest = s.substr(10);
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') return std::nullopt;
    int used = 0;
    const std::string time_text(rest.substr(1));
    if (std::sscanf(time_text.c_str(), "%2d:%2d:%2d%n", &hour, &minute, &second, &used) != 3 || used != 8) {
      return std::nullopt;
    }
    rest = rest.substr(1 + 8);
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0])) != 0) rest.remove_prefix(1);
    }
    if (rest == "Z" || rest == "z") {
      offset = 0;
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
      const int oh = std::stoi(std::string(rest.substr(1, 2)));
      const int om = std::stoi(std::string(rest.substr(4, 2)));
      offset = (rest[0] == '-' ? -1 : 1) * (oh * 3600LL + om * 60LL);
    } else {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t utc = timegm(&tm);
  return from_time_t(utc - offset);
}

}  // namespace

TimePoint now_seconds() { return std::chrono::time_point_cast<std::chrono::seconds>(Clock::now()); }

void require_certificate_time(TimePoint t, std::string_view flag) {
  static const TimePoint earliest = *parse_rfc3339(kEarliestCertificateTime);
  static const TimePoint latest = *parse_rfc3339(kLatestCertificateTime);
  if (t < earliest || t > latest) {
    throw Error(Errc::Usage,
                fmt::format("{}: {} is outside what a certificate can hold ({} to {})", flag,
                            t > latest ? "a time after year 9999" : "a time before 1950",
                            kEarliestCertificateTime, kLatestCertificateTime),
                fmt::format("the latest date allowed is {}", kLatestCertificateTime));
  }
}

TimePoint parse_time_or_offset(std::string_view text, TimePoint now, std::string_view flag) {
  std::optional<TimePoint> result;
  if (auto seconds = parse_duration_seconds(text)) {
    result = now + std::chrono::seconds(*seconds);
  } else {
    result = parse_rfc3339(text);
  }
  if (!result) bad_time(text, flag);
  require_certificate_time(*result, flag);
  return *result;
}

std::string format_rfc3339(TimePoint t) {
  const std::time_t tt = to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

TimePoint from_asn1_time(const ASN1_TIME* time, std::string_view what) {
  std::tm parts{};
  ossl::require(time != nullptr && ASN1_TIME_to_tm(time, &parts) == 1, fmt::format("reading {}", what),
                Errc::Input);
  return from_time_t(timegm(&parts));
}

// Straight to seconds: system_clock's own from_time_t and to_time_t go through nanoseconds, which
// overflow after the year 2262, and certificates may end in 9999 (system_clock counts from the Unix
// epoch since C++20).
TimePoint from_time_t(std::time_t t) { return TimePoint(std::chrono::seconds(t)); }
std::time_t to_time_t(TimePoint t) { return static_cast<std::time_t>(t.time_since_epoch().count()); }

}  // namespace krtool
