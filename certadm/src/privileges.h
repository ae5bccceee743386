// Enabling the privileges the Certadm API requires of its caller.
//
// Contract: on Windows, enable() turns the privilege on in the process token
// (AdjustTokenPrivileges); an account that does not hold it (not a member of
// Backup Operators or Administrators, or an unelevated token) gets
// Error(kRefused) naming the privilege and what grants it. Elsewhere (the
// simulated CA) there is nothing to enable and enable() does nothing.
#pragma once

namespace certvault::certadm {

enum class Privilege { kBackup, kRestore };  // SeBackupPrivilege, SeRestorePrivilege

void enable(Privilege privilege);

}  // namespace certvault::certadm
