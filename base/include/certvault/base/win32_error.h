// Win32 error text for messages (Windows build only).
#pragma once
#ifdef _WIN32
#include <windows.h>

#include <string>

namespace certvault::os {

// "The system cannot find the file specified (Win32 error 2)".
std::string win32_message(DWORD error);

// Throws Error(kFailure): "<what>: <message> (Win32 error N)".
[[noreturn]] void throw_win32(const std::string& what, DWORD error = GetLastError());

}  // namespace certvault::os
#endif
