// The Application event log on Windows: ReportEventW with the source `certvault`.
#include <fmt/format.h>
#include <windows.h>

#include <exception>
#include <filesystem>
#include <initializer_list>

#include "certvault/base/error.h"
#include "certvault/base/event_log.h"
#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"

namespace certvault::event_log {
namespace {

WORD event_type(Level level) {
  switch (level) {
    case Level::kSuccess:
      return EVENTLOG_SUCCESS;
    case Level::kWarning:
      return EVENTLOG_WARNING_TYPE;
    case Level::kFailure:
      break;
  }
  return EVENTLOG_ERROR_TYPE;
}

// The .NET Framework's message file: every event id's message is "%1", the one insertion string.
// It ships with every Windows Server certvault supports (.NET Framework 4 is part of the OS).
std::wstring message_file() {
  wchar_t windows[MAX_PATH] = {};
  const UINT length = GetSystemWindowsDirectoryW(windows, MAX_PATH);
  const std::wstring root = length > 0 && length < MAX_PATH ? std::wstring(windows, length) : L"C:\\Windows";
  for (const wchar_t* framework : {L"Framework64", L"Framework"}) {
    const std::wstring file = root + L"\\Microsoft.NET\\" + framework + L"\\v4.0.30319\\EventLogMessages.dll";
    if (GetFileAttributesW(file.c_str()) != INVALID_FILE_ATTRIBUTES) return file;
  }
  return root + L"\\Microsoft.NET\\Framework\\v4.0.30319\\EventLogMessages.dll";
}

}  // namespace

bool report_event(Level level, Command command, const std::string& message) {
  HANDLE source = RegisterEventSourceW(nullptr, L"certvault");
  if (source == nullptr) return false;
  // An event's strings are limited to 31,839 characters; a message is cut well before that.
  std::wstring text;
  try {
    text = os::path_from_utf8(message.substr(0, 30000)).native();
  } catch (const std::exception&) {
    text = L"(the message is not valid UTF-8)";
  }
  const wchar_t* strings[] = {text.c_str()};
  const BOOL written =
      ReportEventW(source, event_type(level), 0, event_id(level, command), nullptr, 1, 0, strings, nullptr);
  DeregisterEventSource(source);
  return written != FALSE;
}

std::string install_event_source() {
  const std::wstring key_name =
      std::filesystem::path(L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\certvault").native();
  HKEY key = nullptr;
  const LONG created = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key_name.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                       KEY_SET_VALUE, nullptr, &key, nullptr);
  if (created != ERROR_SUCCESS) {
    os::throw_win32(
        fmt::format("install-eventsource: cannot create HKLM\\{} (run from an elevated prompt)", kSourceKey),
        static_cast<DWORD>(created));
  }
  const std::wstring file = message_file();
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;  // 7; success is 0
  LONG set = RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ, reinterpret_cast<const BYTE*>(file.c_str()),
                            static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t)));
  if (set == ERROR_SUCCESS) {
    set = RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types), sizeof types);
  }
  RegCloseKey(key);
  if (set != ERROR_SUCCESS) {
    os::throw_win32(fmt::format("install-eventsource: cannot set the values of HKLM\\{}", kSourceKey),
                    static_cast<DWORD>(set));
  }
  const auto text = std::filesystem::path(file).u8string();
  return std::string(text.begin(), text.end());
}

}  // namespace certvault::event_log
