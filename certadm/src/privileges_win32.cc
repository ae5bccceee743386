// Windows: CertSrvBackupPrepareW and CertSrvRestorePrepareW fail with
// ERROR_PRIVILEGE_NOT_HELD unless the caller's token has SeBackupPrivilege /
// SeRestorePrivilege enabled; holding the privilege is not enough, since both
// are present but disabled in an administrator's token by default.
#include <fmt/format.h>
#include <windows.h>

#include "certvault/base/error.h"
#include "certvault/base/win32_error.h"
#include "privileges.h"

namespace certvault::certadm {
namespace {

class TokenHandle {
 public:
  TokenHandle() {
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &handle_)) {
      os::throw_win32("enable privileges for the Certadm API: OpenProcessToken");
    }
  }
  ~TokenHandle() { CloseHandle(handle_); }
  TokenHandle(const TokenHandle&) = delete;
  TokenHandle& operator=(const TokenHandle&) = delete;
  HANDLE get() const { return handle_; }

 private:
  HANDLE handle_ = nullptr;
};

}  // namespace

void enable(Privilege privilege) {
  const wchar_t* name = privilege == Privilege::kBackup ? SE_BACKUP_NAME : SE_RESTORE_NAME;
  const char* display = privilege == Privilege::kBackup ? "SeBackupPrivilege" : "SeRestorePrivilege";
  TOKEN_PRIVILEGES wanted{};
  wanted.PrivilegeCount = 1;
  wanted.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!LookupPrivilegeValueW(nullptr, name, &wanted.Privileges[0].Luid)) {
    os::throw_win32(fmt::format("enable {}: LookupPrivilegeValueW", display));
  }
  TokenHandle token;
  // AdjustTokenPrivileges succeeds even when it enabled nothing; only
  // GetLastError tells whether the account holds the privilege at all.
  SetLastError(ERROR_SUCCESS);
  if (!AdjustTokenPrivileges(token.get(), FALSE, &wanted, 0, nullptr, nullptr)) {
    os::throw_win32(fmt::format("enable {}: AdjustTokenPrivileges", display));
  }
  if (GetLastError() == ERROR_NOT_ALL_ASSIGNED) {
    throw Error(ErrorKind::kRefused,
                fmt::format("this account does not hold {}, which the Certadm {} API requires: run certvault as a "
                            "member of Backup Operators or Administrators (from an elevated prompt), or grant the "
                            "account \"{}\" in Local Security Policy (User Rights Assignment)",
                            display, privilege == Privilege::kBackup ? "backup" : "restore",
                            privilege == Privilege::kBackup ? "Back up files and directories"
                                                            : "Restore files and directories"));
  }
}

}  // namespace certvault::certadm
