// The lock of a remote repository (location.h): lock objects, as the repository's other objects are
// (docs/format.md §5.5). Machines sharing a bucket have no common file to flock, so each holder
// writes `locks/<32 hex lock id>-<8 digits>` holding its record (host, pid, start, mode) and the time
// of its last refresh, and refreshes it from a background thread by writing the next number and
// removing the previous one (objects are never rewritten).
//
// Contract:
// - acquire() lists the lock objects. A holder whose newest refresh is older than `stale_after` (by
//   this machine's clock) is stale: its objects are removed and `on_stale` told so. A live
//   exclusive holder, or any live holder when an exclusive lock is wanted, makes it throw
//   Error(kLocked) naming the holder (host, pid, mode, start, last refresh). Then it writes its own
//   object and lists again: if a conflicting holder appeared meanwhile, it removes its own and throws
//   kLocked, so two machines racing for the lock never both hold it (both may fail; either may retry).
// - Shared holders (readers and backups) never conflict with one another.
// - check_held() throws Error(kLocked) naming `before` when this holder's current lock object is gone
//   (someone took it over as stale), when a refresh failed, or when no refresh succeeded for
//   `stale_after` (others may now take it over): a writer calls it before each commit and removal.
// - The destructor stops refreshing and removes the lock object; failures there are ignored (the
//   object becomes stale and is taken over later).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "certvault/repository/lock.h"
#include "certvault/repository/object_store.h"

namespace certvault {

// 30 minutes, or CERTVAULT_LOCK_STALE_SECONDS (documented for tests and slow links). A holder
// refreshes every sixth of it.
std::chrono::seconds lock_stale_after();

struct ObjectLockHolder {
  std::string lock_id;
  LockRecord record;                      // its newest record
  std::vector<std::string> object_names;  // all its objects (normally one)
};

class ObjectLock {
 public:
  static std::unique_ptr<ObjectLock> acquire(std::unique_ptr<ObjectStore> objects, bool exclusive,
                                             const std::string& repository,
                                             const std::function<void(const std::string&)>& on_stale,
                                             std::chrono::seconds stale_after = lock_stale_after());
  ~ObjectLock();
  ObjectLock(const ObjectLock&) = delete;
  ObjectLock& operator=(const ObjectLock&) = delete;

  void check_held(const std::string& before) const;

  // Every holder the lock objects name, for `certvault unlock` and messages.
  static std::vector<ObjectLockHolder> holders(const ObjectStore& objects, const std::string& repository);

 private:
  struct State;
  explicit ObjectLock(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace certvault
