// `certvault unlock`: clearing a stale lock record left by a process that died.
//
// Contract: unlock_repository() takes the exclusive lock and releases it at once. Taking it
// proves that no live process holds the lock (Error(kLocked) otherwise, quoting the holder); a
// stale record is reported through `on_stale`, replaced and then cleared on release (lock.h).
// Returns the record that was there before, if any.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "certvault/repository/location.h"
#include "certvault/repository/lock.h"

namespace certvault {

// A remote repository (location.h): stale lock objects are removed the same way (lock.h); the
// record returned is the first of them.
std::optional<LockRecord> unlock_repository(const RepositoryLocation& repository,
                                            const std::function<void(const std::string&)>& on_stale);

}  // namespace certvault
