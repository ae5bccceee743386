#include "certvault/operations/repository_unlock.h"

namespace certvault {

std::optional<LockRecord> unlock_repository(const std::filesystem::path& repository,
                                            const std::function<void(const std::string&)>& on_stale) {
  auto record = RepositoryLock::read_record(repository);
  RepositoryLock::acquire(repository, LockMode::kExclusive, on_stale).reset();
  return record;
}

}  // namespace certvault
