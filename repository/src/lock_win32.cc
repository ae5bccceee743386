// RepositoryLock's system calls on Windows: LockFileEx on REPO/lock, and
// OpenProcess to tell a dead holder from a live one.
#include <fmt/format.h>
#include <windows.h>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"
#include "lock_os.h"

namespace certvault::lock_os {
namespace {

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }

}  // namespace

std::intptr_t open_lock_file(const std::filesystem::path& path) {
  // Shared read/write/delete: every process opens the file; LockFileEx, not the
  // sharing mode, decides who holds the lock.
  const HANDLE handle = CreateFileW(
      os::system_path(std::filesystem::absolute(path)).c_str(), GENERIC_READ | GENERIC_WRITE,
      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    os::throw_win32(
        fmt::format("lock repository {}: CreateFileW {}", os::display(path.parent_path()), os::display(path)));
  }
  return reinterpret_cast<std::intptr_t>(handle);
}

void close_lock_file(std::intptr_t handle) {
  // Closing the handle releases its LockFileEx lock, as close(2) releases a flock.
  CloseHandle(as_handle(handle));
}

bool try_lock(std::intptr_t handle, LockMode mode, const std::filesystem::path& path) {
  // The lock covers a byte range far beyond any record, so that reading and
  // writing the record (offset 0) is never blocked by our own or a reader's lock:
  // LockFileEx locks are mandatory for other handles' reads and writes.
  OVERLAPPED range{};
  range.Offset = 0;
  range.OffsetHigh = 0x7FFFFFFF;
  const DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (mode == LockMode::kExclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0);
  if (LockFileEx(as_handle(handle), flags, 0, 1, 0, &range)) return true;
  const DWORD error = GetLastError();
  if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) return false;
  os::throw_win32(fmt::format("lock repository {}: LockFileEx {}", os::display(path.parent_path()), os::display(path)),
                  error);
}

std::string read_text(std::intptr_t handle) {
  std::string text;
  char buffer[512];
  while (text.size() < 4096) {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(text.size());
    DWORD got = 0;
    if (!ReadFile(as_handle(handle), buffer, sizeof buffer, &got, &at) || got == 0) break;
    text.append(buffer, got);
  }
  return text;
}

void write_text(std::intptr_t handle, const std::filesystem::path& path, const std::string& text) {
  const HANDLE file = as_handle(handle);
  FILE_END_OF_FILE_INFO end{};
  if (!SetFileInformationByHandle(file, FileEndOfFileInfo, &end, sizeof end)) {
    os::throw_win32("write lock record: truncate " + os::display(path));
  }
  size_t done = 0;
  while (done < text.size()) {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(done);
    DWORD wrote = 0;
    if (!WriteFile(file, text.data() + done, static_cast<DWORD>(text.size() - done), &wrote, &at)) {
      os::throw_win32("write lock record: WriteFile " + os::display(path));
    }
    done += wrote;
  }
  if (!FlushFileBuffers(file)) os::throw_win32("write lock record: FlushFileBuffers " + os::display(path));
}

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
