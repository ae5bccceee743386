// The system calls behind RepositoryLock, one implementation per system:
// repository_lock_posix.cc (flock, kill) and repository_lock_win32.cc
// (LockFileEx, OpenProcess). Every failure throws Error(kFailure) naming
// the call and the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "certvault/repository/lock.h"

namespace certvault::lock_os {

// Opens (creating if missing) the lock file for reading and writing.
std::intptr_t open_lock_file(const std::filesystem::path& path);
void close_lock_file(std::intptr_t handle);

// Takes the lock without waiting; false when another holder has it.
bool try_lock(std::intptr_t handle, LockMode mode, const std::filesystem::path& path);

// The file's first 4096 bytes at most (a record is one short line).
std::string read_text(std::intptr_t handle);
// Replaces the file's content with `text` and makes it durable.
void write_text(std::intptr_t handle, const std::filesystem::path& path, const std::string& text);

std::string this_host();
long this_process_id();
// True only when no process with this id runs on this machine any more.
bool process_is_gone(long pid);

}  // namespace certvault::lock_os
