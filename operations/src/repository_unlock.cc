#include "certvault/operations/repository_unlock.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/repository.h"

namespace certvault {

std::optional<LockRecord> unlock_repository(const RepositoryLocation& location,
                                            const std::function<void(const std::string&)>& on_stale) {
  if (!location.is_local()) {
    if (!Repository::is_repository(location)) {
      throw Error(ErrorKind::kUsage, fmt::format("{} is not a certvault repository (it has no config); nothing was "
                                                 "unlocked",
                                                 location.display()));
    }
    const auto stale = clear_stale_lock_objects(location.open_objects(), location.display(), on_stale);
    if (stale.empty()) return std::nullopt;
    return stale.front();
  }
  const auto& repository = location.folder();
  // Taking the lock creates REPO/lock: never in a folder that is not a repository.
  if (!Repository::is_repository(repository)) {
    throw Error(ErrorKind::kUsage, fmt::format("{} is not a certvault repository (it has no config); nothing was "
                                               "unlocked or created",
                                               os::display(repository)));
  }
  auto record = RepositoryLock::read_record(repository);
  RepositoryLock::acquire(repository, LockMode::kExclusive, on_stale).reset();
  return record;
}

}  // namespace certvault
