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

#include "certvault/repository/lock.h"

namespace certvault {

std::optional<LockRecord> unlock_repository(const std::filesystem::path& repository,
                                            const std::function<void(const std::string&)>& on_stale);

}  // namespace certvault
