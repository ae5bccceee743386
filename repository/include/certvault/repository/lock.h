// The repository lock: flock(2) (LockFileEx on Windows) on REPO/lock plus a record naming the holder.
// The file, its lock and its record go through the file-system seam (certvault/base/file_system.h).
//
// Contract: acquire() takes a shared (readers) or exclusive (writers, prune)
// lock without waiting. If someone else holds it, it throws Error(kLocked)
// quoting the holder's record (host, pid, start time, mode). A record left by
// a process that died (its pid is gone on this host and the flock is free) is
// stale: acquire() reports it on stderr through `on_stale` and takes over,
// since the kernel already released the dead holder's flock; it never breaks a
// lock that a live process holds. The lock is released on destruction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "certvault/base/file_system.h"
#include "certvault/repository/object_store.h"

namespace certvault {

// kShared: readers. kExclusive: whatever deletes or rewrites (prune, forget, key changes, repair).
// kAppend: adding snapshots (backups, copy). In a local repository kAppend is kExclusive (one writer
// at a time, as the catalog beside the objects has one writer); in a remote one it is a shared lock
// object, so several machines back up into one repository at once while prune stays alone.
enum class LockMode { kShared, kExclusive, kAppend };

struct LockRecord {
  std::string host;
  long pid = 0;
  long long started_unix = 0;
  std::string mode;              // "shared" or "exclusive"
  long long refreshed_unix = 0;  // lock objects only (object_lock.h): the holder's last refresh
};

class RepositoryLock {
 public:
  static std::unique_ptr<RepositoryLock> acquire(const std::filesystem::path& repository, LockMode mode,
                                                 const std::function<void(const std::string&)>& on_stale = {});
  ~RepositoryLock();
  RepositoryLock(const RepositoryLock&) = delete;
  RepositoryLock& operator=(const RepositoryLock&) = delete;
  LockMode mode() const { return mode_; }

  // Throws Error(kLocked) naming `before` (what the caller was about to do) unless REPO/lock still
  // names the file this lock holds: deleted or replaced, it no longer keeps other processes out.
  // Writers call it before each commit and before deleting anything.
  void check_held(const std::string& before) const;

  // The record currently in REPO/lock, if any (for `certvault unlock` and messages).
  static std::optional<LockRecord> read_record(const std::filesystem::path& repository);

 private:
  RepositoryLock(std::unique_ptr<os::OpenFile> file, LockMode mode);
  std::unique_ptr<os::OpenFile> file_;  // REPO/lock, holding the lock until closed
  LockMode mode_;
  os::FileIdentity identity_;  // of file_, to notice REPO/lock deleted or replaced
};

// A remote repository (location.h, object_lock.h): takes the exclusive lock object and releases it
// at once, removing the lock objects of holders that stopped refreshing (each reported through
// `on_stale`); returns their records. Throws Error(kLocked) naming a live holder.
std::vector<LockRecord> clear_stale_lock_objects(std::unique_ptr<ObjectStore> objects, const std::string& repository,
                                                 const std::function<void(const std::string&)>& on_stale);

}  // namespace certvault
