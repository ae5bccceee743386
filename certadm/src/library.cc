// Loading the Certadm library and resolving its seventeen functions by name.
#include "certvault/certadm/library.h"

#include <fmt/format.h>

#include <string>
#include <type_traits>
#include <vector>

#include "call_support.h"
#include "certvault/base/error.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace certvault::certadm {
namespace {

using detail::in_quotes;
using detail::path_to_utf8;

#ifdef _WIN32
std::string last_error_text() { return describe_hresult(HRESULT_FROM_WIN32(GetLastError())); }

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
                                                 in_quotes(path_to_utf8(path)), last_error_text()));
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
#else
std::string loader_error() {
  const char* text = dlerror();
  return text != nullptr ? text : "no message from the loader";
}

void* open_library(const std::filesystem::path& path) {
  // Absolute, so dlopen never searches LD_LIBRARY_PATH for a bare name.
  const std::filesystem::path absolute = std::filesystem::absolute(path);
  void* handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw Error(ErrorKind::kFailure, fmt::format("cannot load the Certadm library {}: dlopen failed: {}",
                                                 in_quotes(path_to_utf8(absolute)), loader_error()));
  }
  return handle;
}

void* find_symbol(void* handle, const char* name, std::string& why) {
  dlerror();  // clear any earlier message, so the one below belongs to this lookup
  void* address = dlsym(handle, name);
  if (address == nullptr && why.empty()) why = "dlsym: " + loader_error();
  return address;
}

void close_library(void* handle) { dlclose(handle); }
#endif

template <typename Pointer>
void resolve(void* handle, size_t index, Pointer& slot, std::vector<std::string_view>& missing, std::string& why) {
  const std::string name(kFunctionNames[index]);
  void* address = find_symbol(handle, name.c_str(), why);
  if (address == nullptr) {
    missing.push_back(kFunctionNames[index]);
    return;
  }
  slot = reinterpret_cast<Pointer>(address);
}

Functions resolve_all(void* handle, const std::filesystem::path& path) {
  Functions functions;
  std::vector<std::string_view> missing;
  std::string why;
  size_t index = 0;
  // The order of kFunctionNames is the order of the members of Functions.
  resolve(handle, index++, functions.is_server_online, missing, why);
  resolve(handle, index++, functions.backup_prepare, missing, why);
  resolve(handle, index++, functions.restore_get_database_locations, missing, why);
  resolve(handle, index++, functions.backup_get_database_names, missing, why);
  resolve(handle, index++, functions.backup_open_file, missing, why);
  resolve(handle, index++, functions.backup_read, missing, why);
  resolve(handle, index++, functions.backup_close, missing, why);
  resolve(handle, index++, functions.backup_get_backup_logs, missing, why);
  resolve(handle, index++, functions.backup_truncate_logs, missing, why);
  resolve(handle, index++, functions.backup_get_dynamic_file_list, missing, why);
  resolve(handle, index++, functions.backup_end, missing, why);
  resolve(handle, index++, functions.backup_free, missing, why);
  resolve(handle, index++, functions.restore_prepare, missing, why);
  resolve(handle, index++, functions.restore_register, missing, why);
  resolve(handle, index++, functions.restore_register_complete, missing, why);
  resolve(handle, index++, functions.restore_end, missing, why);
  resolve(handle, index++, functions.server_control, missing, why);
  if (index != kFunctionNames.size()) throw Error(ErrorKind::kFailure, "internal: Functions and kFunctionNames differ");
  if (!missing.empty()) {
    close_library(handle);
    throw Error(
        ErrorKind::kFailure,
        fmt::format("the Certadm library {} does not export {} of the {} functions certbcli.h declares: {} ({})",
                    in_quotes(path_to_utf8(path)), missing.size(), kFunctionNames.size(), fmt::join(missing, ", "),
                    why));
  }
  return functions;
}

}  // namespace

std::shared_ptr<Library> Library::load(const std::filesystem::path& path) {
  void* handle = open_library(path);
  const Functions functions = resolve_all(handle, path);
  try {
    return std::shared_ptr<Library>(new Library(path, handle, functions));
  } catch (...) {
    close_library(handle);
    throw;
  }
}

std::filesystem::path Library::default_path() {
#ifdef _WIN32
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
#else
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "libcertadm_sim.so";
  const std::filesystem::path beside = executable.parent_path() / "libcertadm_sim.so";
  const std::filesystem::path sim_folder = executable.parent_path().parent_path() / "sim" / "libcertadm_sim.so";
  if (!std::filesystem::exists(beside, error) && std::filesystem::exists(sim_folder, error)) return sim_folder;
  return beside;
#endif
}

Library::Library(std::filesystem::path path, void* handle, const Functions& functions)
    : path_(std::move(path)), handle_(handle), functions_(functions) {}

Library::~Library() { close_library(handle_); }

std::string Library::display_path() const { return path_to_utf8(path_); }

}  // namespace certvault::certadm
