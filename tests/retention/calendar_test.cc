// UTC calendar arithmetic behind retention: durations, time specs, ISO weeks.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/operations/retention.h"

using namespace certvault;
using namespace certvault::retention;

namespace {
int64_t at(const char* text) { return parse_time_spec(text, 0); }

ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error thrown");
  return ErrorKind::kFailure;
}
}  // namespace

TEST_CASE("time specs: ISO dates and times are UTC, durations count back from now") {
  CHECK(at("1970-01-01") == 0);
  CHECK(at("2021-01-01") == 1609459200);
  CHECK(at("2021-01-01T00:00:01Z") == 1609459201);
  CHECK(at("2021-01-01 01:02:03") == 1609459200 + 3723);
  CHECK(at("2021-01-01T01:02") == 1609459200 + 3720);
  CHECK(at("2024-02-29") == 1709164800);
  CHECK(parse_time_spec("7d", 1609459200) == 1609459200 - 7 * 86400);
  CHECK(parse_time_spec("12h", 1609459200) == 1609459200 - 12 * 3600);
  for (const char* bad : {"", "yesterday", "2021-02-29", "2021-13-01", "2021-01-01T24:00", "2021-01-01T10:60",
                          "2021-01-01X", "2021-01-01T10", "2021-1-1", "7", "d7", "-7d"}) {
    INFO(bad);
    CHECK(kind_of([&] { parse_time_spec(bad, 0); }) == ErrorKind::kUsage);
  }
}

TEST_CASE("durations: y m d h in order, each at most once, bad text is a usage error") {
  CHECK(parse_duration("1y2m3d4h") == CalendarDuration{1, 2, 3, 4});
  CHECK(parse_duration("30d") == CalendarDuration{0, 0, 30, 0});
  CHECK(parse_duration("0h") == CalendarDuration{0, 0, 0, 0});
  for (const char* bad : {"", "5", "5x", "1d2y", "1d1d", "d", "-1d", "10000d", "1.5d", "1y 2m"}) {
    INFO(bad);
    CHECK(kind_of([&] { parse_duration(bad); }) == ErrorKind::kUsage);
  }
}

TEST_CASE("subtracting calendar months clamps to the end of the month, days and hours are exact") {
  CHECK(subtract(at("2026-03-31T12:00:00"), parse_duration("1m")) == at("2026-02-28T12:00:00"));
  CHECK(subtract(at("2024-03-31T12:00:00"), parse_duration("1m")) == at("2024-02-29T12:00:00"));
  CHECK(subtract(at("2024-02-29"), parse_duration("1y")) == at("2023-02-28"));
  CHECK(subtract(at("2026-01-15"), parse_duration("1m")) == at("2025-12-15"));
  CHECK(subtract(at("2026-01-01T00:00:00"), parse_duration("1h")) == at("2025-12-31T23:00:00"));
  CHECK(subtract(at("2026-03-29T12:00:00"), parse_duration("1d")) == at("2026-03-28T12:00:00"));  // no DST in UTC
  CHECK(subtract(at("2026-05-10"), parse_duration("1y2m3d4h")) == at("2025-03-06T20:00:00"));
}

TEST_CASE("ISO weeks: week 53 and weeks that straddle new year") {
  CHECK(iso_week(at("2020-12-31")) == "2020-W53");
  CHECK(iso_week(at("2021-01-03T23:59:59")) == "2020-W53");
  CHECK(iso_week(at("2021-01-04")) == "2021-W01");
  CHECK(iso_week(at("2026-12-31")) == "2026-W53");
  CHECK(iso_week(at("2027-01-03")) == "2026-W53");
  CHECK(iso_week(at("2024-12-30")) == "2025-W01");
  CHECK(iso_week(at("2026-11-24")) == "2026-W48");
}
