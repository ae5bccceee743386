// The library's in-process bookkeeping: backup/restore contexts behind opaque
// handles, and the list buffers CertSrvBackupFree releases.
//
// Contract: a handle is a number this library issued, never a pointer it
// dereferences, so a stale or forged handle is detected (E_HANDLE) instead of
// crashing; ended sessions stay known so calls after End are logged to their CA.
// All functions expect the caller to hold api_mutex().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/file_layer.h"

namespace casim {

struct OpenBackupFile {
  std::string name;  // UTF-8 path as listed
  files::File file;
  uint64_t size = 0;
  uint64_t position = 0;
};

struct Session {
  enum class Kind { kBackup, kRestore };
  Kind kind = Kind::kBackup;
  std::filesystem::path root;
  bool ended = false;
  // Backup sessions.
  bool full = false;
  uint32_t checkpoint_at_prepare = 0;
  uint32_t gen_low = 0;
  uint32_t gen_high = 0;
  files::FileLock backup_lock;
  std::vector<std::string> database_names;
  bool database_names_listed = false;
  std::vector<std::string> log_names;
  bool logs_listed = false;
  std::set<std::string> fully_read;
  std::optional<OpenBackupFile> open_file;
  // Restore sessions.
  bool restore_full = false;

  explicit Session(files::FileLock lock) : backup_lock(std::move(lock)) {}
  bool all_read(const std::vector<std::string>& names) const;
};

std::mutex& api_mutex();
void* register_session(std::unique_ptr<Session> session);
Session* find_session(void* handle);  // nullptr when the handle was never issued

// Allocates a list buffer (freed by release_buffer) and remembers its CA folder.
void* allocate_buffer(size_t bytes, const std::filesystem::path& root);
// Frees a buffer allocate_buffer returned; returns its CA folder, or nullopt (not ours, nothing freed).
std::optional<std::filesystem::path> release_buffer(void* buffer);

}  // namespace casim
