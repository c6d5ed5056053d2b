#include "krtool/util/time.hpp"

#include <catch2/catch.hpp>

#include "krtool/error.hpp"

using krtool::format_rfc3339;
using krtool::parse_time_or_offset;
using krtool::TimePoint;
using namespace std::chrono;

namespace {
const TimePoint kNow = krtool::from_time_t(1'800'000'000);  // 2027-01-15T08:00:00Z
}

TEST_CASE("signed durations are offsets from now", "[util][time]") {
  CHECK(parse_time_or_offset("-2d", kNow, "--not-before") == kNow - hours(48));
  CHECK(parse_time_or_offset("+30d", kNow, "--not-after") == kNow + hours(24 * 30));
  CHECK(parse_time_or_offset("1h30m", kNow, "--not-after") == kNow + minutes(90));
  CHECK(parse_time_or_offset("2w", kNow, "--not-after") == kNow + hours(24 * 14));
  CHECK(parse_time_or_offset("1y", kNow, "--not-after") == kNow + hours(24 * 365));
}

TEST_CASE("RFC 3339 times are read in UTC with their offsets", "[util][time]") {
  CHECK(format_rfc3339(parse_time_or_offset("2030-01-02T03:04:05Z", kNow, "f")) == "2030-01-02T03:04:05Z");
  CHECK(format_rfc3339(parse_time_or_offset("2030-01-02T03:04:05+02:00", kNow, "f")) ==
        "2030-01-02T01:04:05Z");
  CHECK(format_rfc3339(parse_time_or_offset("2030-01-02T03:04:05.123-01:30", kNow, "f")) ==
        "2030-01-02T04:34:05Z");
  CHECK(format_rfc3339(parse_time_or_offset("2030-01-02", kNow, "f")) == "2030-01-02T00:00:00Z");
}

TEST_CASE("anything else is a usage error that names the flag", "[util][time]") {
  for (const char* bad :
       {"yesterday", "5", "-d", "2030-13-01", "2030-01-02T25:00:00Z", "2030-01-02T03:04:05", "+3x"}) {
    INFO(bad);
    try {
      parse_time_or_offset(bad, kNow, "--not-after");
      FAIL("accepted");
    } catch (const krtool::Error& e) {
      CHECK(e.code() == krtool::Errc::Usage);
      CHECK(std::string(e.what()).find("--not-after") != std::string::npos);
    }
  }
}

TEST_CASE("times up to the end of year 9999 convert without overflow, as certificates may end then",
          "[util][time]") {
  const std::time_t last_second = 253402300799;  // 9999-12-31T23:59:59Z
  CHECK(krtool::to_time_t(krtool::from_time_t(last_second)) == last_second);
  CHECK(krtool::format_rfc3339(krtool::from_time_t(last_second)) == "9999-12-31T23:59:59Z");
  CHECK_NOTHROW(krtool::require_certificate_time(krtool::from_time_t(last_second), "--not-after"));
  CHECK_THROWS(krtool::require_certificate_time(krtool::from_time_t(last_second + 1), "--not-after"));
}
