// The Windows Application event log: one event per backup, verify and prune (issue 19), so that
// monitoring that watches the event log sees a failed night without parsing task exit codes.
//
// Contract:
// - report_event() writes one event with source `certvault` (ReportEventW) whose single insertion
//   string is `message`. It never throws and never fails the command: an event log that cannot
//   be written is reported by returning false (the caller may warn). On POSIX it does nothing and
//   returns false.
// - install_event_source() registers the source `certvault` under
//   HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\certvault (needs an elevated
//   prompt), with a message file whose every message is "%1" (so Event Viewer shows the message as
//   written) and the three types used. Throws Error(kFailure) naming the key and the Win32 error;
//   on POSIX Error(kRefused): there is no event log.
// - Event ids (docs/user-guide.md, "Monitoring"): 1000 + command for success, 2000 + command for
//   a warning, 3000 + command for a failure; command 1 backup, 2 verify, 3 prune.
#pragma once

#include <cstdint>
#include <string>

namespace certvault::event_log {

enum class Level { kSuccess, kWarning, kFailure };
enum class Command : uint32_t { kBackup = 1, kVerify = 2, kPrune = 3 };

inline constexpr const char* kSourceName = "certvault";
inline constexpr const char* kSourceKey = "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\certvault";

constexpr uint32_t event_id(Level level, Command command) {
  const uint32_t base = level == Level::kSuccess ? 1000 : level == Level::kWarning ? 2000 : 3000;
  return base + static_cast<uint32_t>(command);
}

bool report_event(Level level, Command command, const std::string& message);
// Returns the message file registered.
std::string install_event_source();

}  // namespace certvault::event_log
