#include "certvault/base/utc_time.h"

#include <catch2/catch.hpp>
#include <cstdint>

using namespace certvault;

TEST_CASE("an instant is broken into its UTC date and time") {
  const auto epoch = utc_time(0);
  REQUIRE(epoch);
  CHECK(epoch->year == 1970);
  CHECK(epoch->month == 1);
  CHECK(epoch->day == 1);
  const auto leap_day = utc_time(951868799);  // 2000-02-29 23:59:59
  REQUIRE(leap_day);
  CHECK(leap_day->year == 2000);
  CHECK(leap_day->month == 2);
  CHECK(leap_day->day == 29);
  CHECK(leap_day->hour == 23);
  CHECK(leap_day->minute == 59);
  CHECK(leap_day->second == 59);
  const auto before_epoch = utc_time(-1);  // 1969-12-31 23:59:59
  REQUIRE(before_epoch);
  CHECK(before_epoch->year == 1969);
  CHECK(before_epoch->day == 31);
  CHECK(before_epoch->second == 59);
}

TEST_CASE("the three formats, byte for byte") {
  const int64_t instant = 1795516239;  // 2026-11-24 10:30:39 UTC
  CHECK(format_utc(instant) == "2026-11-24 10:30:39Z");
  CHECK(format_utc(instant, UtcFormat::kDateTimeZ) == "2026-11-24 10:30:39Z");
  CHECK(format_utc(instant, UtcFormat::kDateTimeUtc) == "2026-11-24 10:30:39 UTC");
  CHECK(format_utc(instant, UtcFormat::kBasic) == "20261124T103039Z");
  CHECK(format_utc(0) == "1970-01-01 00:00:00Z");
}

TEST_CASE("years outside 0..9999 are written as unix time") {
  CHECK(format_utc(253402300799) == "9999-12-31 23:59:59Z");
  CHECK(format_utc(-62167219200) == "0000-01-01 00:00:00Z");
  CHECK_FALSE(utc_time(253402300800));
  CHECK(format_utc(253402300800) == "unix time 253402300800");
  CHECK(format_utc(INT64_MIN, UtcFormat::kBasic) == "unix time -9223372036854775808");
  CHECK(format_utc(INT64_MAX, UtcFormat::kDateTimeUtc) == "unix time 9223372036854775807");
}
