// The record in REPO/lock: whatever a crashed holder, another tool or a
// damaged disk left there is read by every command that takes the lock.
#include <cstdlib>
#include <string_view>

#include "fuzz_target.h"
#include "lock_record.h"

namespace {
std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

std::vector<std::vector<uint8_t>> lock_record_seeds() {
  return {bytes_of("host=ca01 pid=4242 started=1764000000 mode=exclusive\n"),
          bytes_of("mode=exclusive started=1 pid=1 host=h extra=field noise\r\nsecond line"),
          bytes_of("host= pid=1"),
          bytes_of("host=h pid=99999999999999999999999"),
          bytes_of("host=h pid=-7 started=-9223372036854775808"),
          bytes_of("host=a=b pid=0x10 started=12abc"),
          {'h', 'o', 's', 't', '=', 0, ' ', 'p', 'i', 'd', '=', '1'},
          {}};
}

// Parsing never fails loudly, and what it reads survives being written back:
// the record a holder writes is the record the next reader sees.
void parse_lock_record_input(const uint8_t* data, size_t size) {
  using certvault::format_lock_record;
  using certvault::parse_lock_record;
  const auto record = parse_lock_record(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!record) return;
  const auto again = parse_lock_record(format_lock_record(*record));
  if (!again || again->host != record->host || again->pid != record->pid ||
      again->started_unix != record->started_unix || again->mode != record->mode) {
    std::abort();
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(lock_record, lock_record_seeds, parse_lock_record_input);
