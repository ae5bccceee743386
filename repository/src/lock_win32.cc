// RepositoryLock's process and host facts on Windows: GetComputerNameW, and
// OpenProcess to tell a dead holder from a live one.
#include <windows.h>

#include "certvault/base/os_file.h"
#include "lock_os.h"

namespace certvault::lock_os {

std::string this_host() {
  wchar_t name[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD length = MAX_COMPUTERNAME_LENGTH + 1;
  if (!GetComputerNameW(name, &length)) return "unknown";
  return os::display(std::filesystem::path(std::wstring(name, length)));
}

long this_process_id() { return static_cast<long>(GetCurrentProcessId()); }

bool process_is_gone(long pid) {
  const HANDLE process = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) {
    // ERROR_INVALID_PARAMETER: no process has this id. Access denied means it runs (as another user).
    return GetLastError() == ERROR_INVALID_PARAMETER;
  }
  // A process object outlives its process while someone holds a handle to it.
  const bool exited = WaitForSingleObject(process, 0) == WAIT_OBJECT_0;
  CloseHandle(process);
  return exited;
}

}  // namespace certvault::lock_os
