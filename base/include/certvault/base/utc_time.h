// certvault's one conversion of Unix time to UTC calendar time and text.
//
// Contract:
// - Pure calendar arithmetic (std::chrono's proleptic Gregorian calendar), no
//   call into the C library or the system: the same instant gives the same text
//   on every system and in every time zone, and Unix time has no leap seconds,
//   so neither has the result. Nothing here can fail for a year in 0..9999.
// - utc_time() breaks an instant into its UTC date and time of day; it is
//   nullopt for an instant whose year lies outside 0..9999 (the four-digit
//   years every format below writes).
// - format_utc() writes one of the formats below, or "unix time N" (N in
//   decimal) when utc_time() is nullopt. The formats are user-visible (listings,
//   messages, an export's MANIFEST, folder names): never change one in place;
//   add a new one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace certvault {

struct UtcTime {
  int year = 1970;     // 0..9999
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
  unsigned hour = 0, minute = 0, second = 0;
};

std::optional<UtcTime> utc_time(int64_t unix_seconds);

enum class UtcFormat {
  kDateTimeZ,    // "2026-11-24 10:30:00Z": snapshot listings, an export's MANIFEST
  kDateTimeUtc,  // "2026-11-24 10:30:00 UTC": the repository lock's messages
  kBasic,        // "20261124T103000Z": ISO 8601 basic format, for file and folder names
};

std::string format_utc(int64_t unix_seconds, UtcFormat format = UtcFormat::kDateTimeZ);

}  // namespace certvault
