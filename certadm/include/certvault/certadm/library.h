// Certadm library loading: certadm.dll on Windows, libcertadm_sim.so elsewhere.
//
// Contract: Library::load opens the library by path (dlopen RTLD_NOW|RTLD_LOCAL;
// LoadLibraryExW on Windows) and resolves all seventeen CertSrv* functions of
// certbcli.h by name, or throws Error(kFailure) naming the library path, every
// missing function and the loader's own message. The library stays loaded
// until the last shared_ptr to it goes: every Server, context and returned
// buffer holds one, so dlclose/FreeLibrary always comes last.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "certvault/certadm/abi.h"

namespace certvault::certadm {

// The raw entry points. The wrappers in server.h are the way to call
// them; the pointers are public for diagnostics and tests. Calling
// backup_truncate_logs directly bypasses the rule that logs are truncated only
// with a CommittedSnapshot in hand (BackupContext::truncate_logs).
struct Functions {
  certadm_abi::IsServerOnlineW is_server_online = nullptr;
  certadm_abi::BackupPrepareW backup_prepare = nullptr;
  certadm_abi::RestoreGetDatabaseLocationsW restore_get_database_locations = nullptr;
  certadm_abi::BackupGetDatabaseNamesW backup_get_database_names = nullptr;
  certadm_abi::BackupOpenFileW backup_open_file = nullptr;
  certadm_abi::BackupRead backup_read = nullptr;
  certadm_abi::BackupClose backup_close = nullptr;
  certadm_abi::BackupGetBackupLogsW backup_get_backup_logs = nullptr;
  certadm_abi::BackupTruncateLogs backup_truncate_logs = nullptr;
  certadm_abi::BackupGetDynamicFileListW backup_get_dynamic_file_list = nullptr;
  certadm_abi::BackupEnd backup_end = nullptr;
  certadm_abi::BackupFree backup_free = nullptr;
  certadm_abi::RestorePrepareW restore_prepare = nullptr;
  certadm_abi::RestoreRegisterW restore_register = nullptr;
  certadm_abi::RestoreRegisterComplete restore_register_complete = nullptr;
  certadm_abi::RestoreEnd restore_end = nullptr;
  certadm_abi::ServerControlW server_control = nullptr;
};

// The exported names, in the order of the members of Functions.
inline constexpr std::array<std::string_view, 17> kFunctionNames = {"CertSrvIsServerOnlineW",
                                                                    "CertSrvBackupPrepareW",
                                                                    "CertSrvRestoreGetDatabaseLocationsW",
                                                                    "CertSrvBackupGetDatabaseNamesW",
                                                                    "CertSrvBackupOpenFileW",
                                                                    "CertSrvBackupRead",
                                                                    "CertSrvBackupClose",
                                                                    "CertSrvBackupGetBackupLogsW",
                                                                    "CertSrvBackupTruncateLogs",
                                                                    "CertSrvBackupGetDynamicFileListW",
                                                                    "CertSrvBackupEnd",
                                                                    "CertSrvBackupFree",
                                                                    "CertSrvRestorePrepareW",
                                                                    "CertSrvRestoreRegisterW",
                                                                    "CertSrvRestoreRegisterComplete",
                                                                    "CertSrvRestoreEnd",
                                                                    "CertSrvServerControlW"};

class Library {
 public:
  // Throws Error(kFailure) when the file cannot be loaded or lacks a function.
  static std::shared_ptr<Library> load(const std::filesystem::path& path);

  // Windows: "certadm.dll" (a bare name: loaded from System32 only).
  // Elsewhere: libcertadm_sim.so beside the running executable, else in ../sim/
  // relative to it; when neither exists, the first (so the load error names it).
  static std::filesystem::path default_path();

  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const Functions& functions() const noexcept { return functions_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // The path as UTF-8, for messages.
  std::string display_path() const;

 private:
  Library(std::filesystem::path path, void* handle, const Functions& functions);

  std::filesystem::path path_;
  void* handle_;
  Functions functions_;
};

}  // namespace certvault::certadm
