// console.h on Windows (cmd, PowerShell, Windows Terminal).
#include <windows.h>
// After windows.h: shellapi.h needs its types.
#include <io.h>
#include <shellapi.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "certvault/base/error.h"
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

bool stdin_is_terminal() {
  DWORD mode = 0;
  return GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &mode) != 0;
}

std::string read_secret(const std::string& prompt) {
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  const HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
  DWORD saved = 0;
  const bool console = GetConsoleMode(input, &saved) != 0;
  std::string line;
  if (console) {
    // Read as UTF-16 from the console, echo off; the passphrase becomes UTF-8 whatever the code page.
    SetConsoleMode(input, (saved & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) | ENABLE_LINE_INPUT);
    std::wstring wide;
    wchar_t buffer[256];
    DWORD n = 0;
    bool ended = false;
    while (!ended && ReadConsoleW(input, buffer, 256, &n, nullptr) && n > 0) {
      for (DWORD i = 0; i < n; ++i) {
        if (buffer[i] == L'\n') {
          ended = true;
          break;
        }
        if (buffer[i] != L'\r') wide.push_back(buffer[i]);
      }
    }
    SetConsoleMode(input, saved);
    std::fprintf(stderr, "\n");
    const std::u8string text = std::filesystem::path(wide).u8string();
    line.assign(text.begin(), text.end());
    if (!ended && wide.empty()) throw Error(ErrorKind::kUsage, "no passphrase was typed (end of input)");
    return line;
  }
  if (!std::getline(std::cin, line)) throw Error(ErrorKind::kUsage, "no passphrase was typed (end of input)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace certvault::cli::console
