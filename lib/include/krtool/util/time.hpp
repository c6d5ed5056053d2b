// Times on the command line: RFC 3339 instants ("2026-01-31T12:00:00Z") or signed offsets from now
// ("-2d", "+30d", "1h30m"), so that expired and not-yet-valid certificates can be made on purpose.
#pragma once

#include <openssl/asn1.h>

#include <chrono>
#include <string>
#include <string_view>

namespace krtool {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::seconds>;

TimePoint now_seconds();

// parse_time_or_offset reads an RFC 3339 time or a signed duration relative to `now`; units are
// s, m, h, d, w and y (365 days). Throws Error(Usage) naming `flag`, also for a time that a certificate
// cannot hold (require_certificate_time).
TimePoint parse_time_or_offset(std::string_view text, TimePoint now, std::string_view flag);

// A certificate's times are UTCTime (1950-2049) or GeneralizedTime (to 9999): nothing outside.
inline constexpr std::string_view kEarliestCertificateTime = "1950-01-01T00:00:00Z";
inline constexpr std::string_view kLatestCertificateTime = "9999-12-31T23:59:59Z";

// require_certificate_time throws Error(Usage) naming `flag` when `t` cannot be written in a certificate.
void require_certificate_time(TimePoint t, std::string_view flag);

// format_rfc3339 prints a UTC instant as "2026-01-31T12:00:00Z".
std::string format_rfc3339(TimePoint t);

// from_asn1_time converts a certificate's or CRL's time; Error(Input) "reading <what>" when it is unreadable.
TimePoint from_asn1_time(const ASN1_TIME* time, std::string_view what);

// from_time_t / to_time_t convert at the OpenSSL boundary (ASN1_TIME works in time_t).
TimePoint from_time_t(std::time_t t);
std::time_t to_time_t(TimePoint t);

}  // namespace krtool
