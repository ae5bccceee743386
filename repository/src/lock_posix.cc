// RepositoryLock's process and host facts on POSIX: gethostname and kill(pid, 0).
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "lock_os.h"

namespace certvault::lock_os {

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

long this_process_id() { return static_cast<long>(::getpid()); }

bool process_is_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace certvault::lock_os
