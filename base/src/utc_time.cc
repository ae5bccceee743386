#include "certvault/base/utc_time.h"

#include <fmt/format.h>

#include <chrono>

namespace certvault {

std::optional<UtcTime> utc_time(int64_t unix_seconds) {
  using namespace std::chrono;
  // Bounding the input first keeps the conversion to days below from overflowing for any int64_t.
  constexpr int64_t kFirst = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr int64_t kEnd = 253402300800;    // 10000-01-01T00:00:00Z
  if (unix_seconds < kFirst || unix_seconds >= kEnd) return std::nullopt;
  const sys_seconds instant{seconds{unix_seconds}};
  const sys_days day = floor<days>(instant);
  const year_month_day date{day};
  const int64_t second_of_day = (instant - day).count();
  UtcTime time;
  time.year = static_cast<int>(date.year());
  time.month = static_cast<unsigned>(date.month());
  time.day = static_cast<unsigned>(date.day());
  time.hour = static_cast<unsigned>(second_of_day / 3600);
  time.minute = static_cast<unsigned>(second_of_day / 60 % 60);
  time.second = static_cast<unsigned>(second_of_day % 60);
  return time;
}

std::string format_utc(int64_t unix_seconds, UtcFormat format) {
  const auto time = utc_time(unix_seconds);
  if (!time) return fmt::format("unix time {}", unix_seconds);
  const auto& t = *time;
  switch (format) {
    case UtcFormat::kDateTimeZ:
      return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z", t.year, t.month, t.day, t.hour, t.minute, t.second);
    case UtcFormat::kDateTimeUtc:
      return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", t.year, t.month, t.day, t.hour, t.minute, t.second);
    case UtcFormat::kBasic:
      return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year, t.month, t.day, t.hour, t.minute, t.second);
  }
  return fmt::format("unix time {}", unix_seconds);
}

}  // namespace certvault
