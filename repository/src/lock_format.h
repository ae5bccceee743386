// The repository lock file and its holder record: docs/format.md §5.4 ("The
// repository lock"). An exclusive holder writes one line
//   host=<h> pid=<p> started=<unix seconds> mode=exclusive
// (fields separated by one space, each `key=value`), and clears the file on
// release; shared holders write nothing. Readers ignore fields they do not know.
#pragma once

namespace certvault::lock_format {

inline constexpr const char* kFileName = "lock";  // REPO/lock

inline constexpr const char* kHost = "host";
inline constexpr const char* kPid = "pid";
inline constexpr const char* kStarted = "started";
inline constexpr const char* kMode = "mode";
inline constexpr const char* kExclusive = "exclusive";  // the only mode ever written to REPO/lock
inline constexpr const char* kShared = "shared";        // lock objects of remote repositories only
inline constexpr const char* kRefreshed = "refreshed";  // lock objects only: unix seconds

}  // namespace certvault::lock_format
