// LoadLibraryExW and GetProcAddress behind library_os.h.
#include <fmt/format.h>
#include <windows.h>

#include <type_traits>

#include "call_support.h"
#include "certvault/base/error.h"
#include "library_os.h"

namespace certvault::certadm::library_os {
namespace {

std::string last_error_text() { return describe_hresult(HRESULT_FROM_WIN32(GetLastError())); }

// The pointer types we resolve into must be certbcli.h's own function types.
static_assert(std::is_same_v<certadm_abi::IsServerOnlineW, FNCERTSRVISSERVERONLINEW*>);
static_assert(std::is_same_v<certadm_abi::BackupPrepareW, FNCERTSRVBACKUPPREPAREW*>);
static_assert(std::is_same_v<certadm_abi::RestoreGetDatabaseLocationsW, FNCERTSRVRESTOREGETDATABASELOCATIONSW*>);
static_assert(std::is_same_v<certadm_abi::BackupGetDatabaseNamesW, FNCERTSRVBACKUPGETDATABASENAMESW*>);
static_assert(std::is_same_v<certadm_abi::BackupOpenFileW, FNCERTSRVBACKUPOPENFILEW*>);
static_assert(std::is_same_v<certadm_abi::BackupRead, FNCERTSRVBACKUPREAD*>);
static_assert(std::is_same_v<certadm_abi::BackupClose, FNCERTSRVBACKUPCLOSE*>);
static_assert(std::is_same_v<certadm_abi::BackupGetBackupLogsW, FNCERTSRVBACKUPGETBACKUPLOGSW*>);
static_assert(std::is_same_v<certadm_abi::BackupTruncateLogs, FNCERTSRVBACKUPTRUNCATELOGS*>);
static_assert(std::is_same_v<certadm_abi::BackupGetDynamicFileListW, FNCERTSRVBACKUPGETDYNAMICFILELISTW*>);
static_assert(std::is_same_v<certadm_abi::BackupEnd, FNCERTSRVBACKUPEND*>);
static_assert(std::is_same_v<certadm_abi::BackupFree, FNCERTSRVBACKUPFREE*>);
static_assert(std::is_same_v<certadm_abi::RestorePrepareW, FNCERTSRVRESTOREPREPAREW*>);
static_assert(std::is_same_v<certadm_abi::RestoreRegisterW, FNCERTSRVRESTOREREGISTERW*>);
static_assert(std::is_same_v<certadm_abi::RestoreRegisterComplete, FNCERTSRVRESTOREREGISTERCOMPLETE*>);
static_assert(std::is_same_v<certadm_abi::RestoreEnd, FNCERTSRVRESTOREEND*>);
static_assert(std::is_same_v<certadm_abi::ServerControlW, FNCERTSRVSERVERCONTROLW*>);

}  // namespace

void* open_library(const std::filesystem::path& path) {
  // A bare name is the system's certadm.dll: search System32 only, never the
  // current or application folder (DLL planting).
  const bool bare_name = !path.has_parent_path();
  const DWORD flags = bare_name ? LOAD_LIBRARY_SEARCH_SYSTEM32 : LOAD_WITH_ALTERED_SEARCH_PATH;
  // LOAD_WITH_ALTERED_SEARCH_PATH needs an absolute path (the DLL's own
  // dependencies are then searched in its folder, not the current one).
  const std::filesystem::path target = bare_name ? path : std::filesystem::absolute(path);
  HMODULE module = LoadLibraryExW(target.c_str(), nullptr, flags);
  if (module == nullptr) {
    throw Error(ErrorKind::kFailure, fmt::format("cannot load the Certadm library {}: LoadLibraryExW failed: {}",
                                                 detail::in_quotes(detail::path_to_utf8(path)), last_error_text()));
  }
  return module;
}

void* find_symbol(void* handle, const char* name, std::string& why) {
  FARPROC address = GetProcAddress(static_cast<HMODULE>(handle), name);
  if (address == nullptr && why.empty()) why = "GetProcAddress: " + last_error_text();
  // Through void(*)() so that GCC's -Wcast-function-type accepts the cast.
  return reinterpret_cast<void*>(reinterpret_cast<void (*)()>(address));
}

void close_library(void* handle) { FreeLibrary(static_cast<HMODULE>(handle)); }

std::filesystem::path default_path() {
  // certadm.dll beside certvault.exe (an install folder only administrators can
  // write, as trusted as the exe itself), else the bare name, which open_library
  // looks up in System32 only. The current folder is never searched.
  std::wstring executable(32768, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, executable.data(), static_cast<DWORD>(executable.size()));
  if (length > 0 && length < executable.size()) {
    executable.resize(length);
    const std::filesystem::path beside = std::filesystem::path(executable).parent_path() / L"certadm.dll";
    std::error_code error;
    if (std::filesystem::is_regular_file(beside, error)) return beside;
  }
  return "certadm.dll";
}

}  // namespace certvault::certadm::library_os
