// system_path() and the Win32 error text (win32_error.h) on Windows.
#include <fmt/format.h>
#include <windows.h>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"

namespace certvault::os {

std::string win32_message(DWORD error) {
  wchar_t* text = nullptr;
  const DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error,
      MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::wstring message = length > 0 && text != nullptr ? std::wstring(text, length) : L"unknown error";
  if (text != nullptr) LocalFree(text);
  while (!message.empty() && (message.back() == L'\n' || message.back() == L'\r' || message.back() == L'.')) {
    message.pop_back();
  }
  return fmt::format("{} (Win32 error {})", display(std::filesystem::path(message)), error);
}

void throw_win32(const std::string& what, DWORD error) {
  throw Error(ErrorKind::kFailure, what + ": " + win32_message(error));
}

std::filesystem::path system_path(const std::filesystem::path& path) {
  const std::wstring& text = path.native();
  // Relative paths, and paths already in the \\?\ or \\.\ namespace, are left alone.
  if (!path.is_absolute() || text.starts_with(L"\\\\?\\") || text.starts_with(L"\\\\.\\")) return path;
  // \\?\ turns off the Win32 path parsing, so the path must already be in
  // canonical form: backslashes, no "." or ".." parts.
  std::wstring canonical = path.lexically_normal().make_preferred().native();
  if (canonical.starts_with(L"\\\\")) return std::filesystem::path(L"\\\\?\\UNC\\" + canonical.substr(2));
  return std::filesystem::path(L"\\\\?\\" + canonical);
}

}  // namespace certvault::os
