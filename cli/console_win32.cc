// console.h on Windows (cmd, PowerShell, Windows Terminal).
#include <windows.h>
// After windows.h: shellapi.h needs its types.
#include <io.h>
#include <shellapi.h>

#include <filesystem>

#include "console.h"

namespace certvault::cli::console {

void prepare() {
  SetConsoleOutputCP(CP_UTF8);
  const HANDLE error = GetStdHandle(STD_ERROR_HANDLE);
  DWORD mode = 0;
  // Best effort: older consoles lack VT processing; the progress line then
  // relies on \r and padding only, which every console understands.
  if (GetConsoleMode(error, &mode)) SetConsoleMode(error, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
}

std::vector<std::string> arguments(int argc, char** argv) {
  int count = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &count);
  if (wide == nullptr) return std::vector<std::string>(argv, argv + argc);
  std::vector<std::string> result;
  for (int i = 0; i < count; ++i) {
    const std::u8string text = std::filesystem::path(wide[i]).u8string();
    result.emplace_back(text.begin(), text.end());
  }
  LocalFree(wide);
  return result;
}

bool stderr_is_terminal() {
  DWORD mode = 0;
  // GetConsoleMode succeeds only on a real console handle (cmd, PowerShell);
  // _isatty also accepts the NUL device, so it only backs up the first test.
  return GetConsoleMode(GetStdHandle(STD_ERROR_HANDLE), &mode) != 0 && _isatty(_fileno(stderr)) != 0;
}

}  // namespace certvault::cli::console
