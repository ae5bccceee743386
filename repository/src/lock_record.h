// The one-line record an exclusive holder writes into REPO/lock (its layout:
// lock_format.h, docs/format.md §5.4). Pure text functions, apart from the
// system calls of the lock itself, so they can be fuzzed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "certvault/repository/lock.h"

namespace certvault {

// The record without its newline.
std::string format_lock_record(const LockRecord& record);

// Reads the first line of `text`: space-separated key=value fields in any
// order; unknown keys and fields without '=' are skipped. nullopt when the pid
// is missing or not a number, a number is out of range, or the host is
// missing or empty: an unreadable record names nobody.
std::optional<LockRecord> parse_lock_record(std::string_view text);

}  // namespace certvault
