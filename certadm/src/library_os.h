// The system's dynamic loader behind certadm::Library, one implementation per
// system: library_posix.cc (dlopen, dlsym) and library_win32.cc
// (LoadLibraryExW, GetProcAddress). library.cc resolves the seventeen
// functions by name through these and knows nothing of either loader.
#pragma once

#include <filesystem>
#include <string>

namespace certvault::certadm::library_os {

// Loads the library; throws Error(kFailure) naming the path and the loader's message.
// A bare name on Windows is searched in System32 only; a path is made absolute first,
// so no search path (LD_LIBRARY_PATH, the current folder) is ever consulted for it.
void* open_library(const std::filesystem::path& path);

// The address of the exported function `name`, or nullptr; the first failure's
// loader message is kept in `why` (when it is still empty).
void* find_symbol(void* handle, const char* name, std::string& why);

void close_library(void* handle);

// What Library::default_path() documents (library.h).
std::filesystem::path default_path();

}  // namespace certvault::certadm::library_os
