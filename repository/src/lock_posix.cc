// RepositoryLock's process and host facts on POSIX: gethostname and kill(pid, 0).
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include "lock_os.h"

namespace certvault::lock_os {

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

long this_process_id() { return static_cast<long>(::getpid()); }

bool process_is_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

std::string utc_time(long long unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return "unix time " + std::to_string(unix_seconds);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace certvault::lock_os
