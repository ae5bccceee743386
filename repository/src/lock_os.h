// The process and host facts behind RepositoryLock's records, one
// implementation per system: lock_posix.cc (gethostname, kill) and
// lock_win32.cc (GetComputerNameW, OpenProcess). The lock file itself goes
// through the file-system seam (lock.cc).
#pragma once

#include <string>

namespace certvault::lock_os {

std::string this_host();
long this_process_id();
// True only when no process with this id runs on this machine any more.
bool process_is_gone(long pid);

}  // namespace certvault::lock_os
