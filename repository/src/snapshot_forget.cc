#include "certvault/repository/snapshot_forget.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "manifest.h"

namespace certvault {

void forget_snapshots(Repository& repository, const std::vector<std::string>& ids) {
  if (repository.lock_mode() != LockMode::kExclusive) {
    throw Error(ErrorKind::kRefused, "forget needs the repository's exclusive lock");
  }
  auto& catalog = repository.catalog();
  auto& objects = repository.objects();
  for (const auto& id : ids) {
    if (id.size() != 32 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw Error(ErrorKind::kInternal, fmt::format("forget: '{}' is not a full snapshot id (32 hex digits)", id));
    }
    if (!catalog.has_snapshot(id) && !objects.exists(manifest::object_name(id))) {
      throw Error(ErrorKind::kUsage, fmt::format("forget: snapshot {} does not exist", id));
    }
  }
  // Rows first (one transaction), manifests second: see the header for why.
  repository.check_lock("forgetting snapshots");
  catalog.delete_snapshots(ids);
  for (const auto& id : ids) {
    const auto name = manifest::object_name(id);
    if (objects.exists(name)) objects.remove(name);
  }
}

}  // namespace certvault
