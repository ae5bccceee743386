// `certvault repair catalog`: rebuilds a lost or damaged catalog from the
// repository's objects alone (config, packs, recipes, snapshot manifests).
//
// Contract: takes the exclusive lock; moves an existing catalog aside as
// catalog.db.damaged-<unix time> (never deletes it); rebuilds every pack's
// chunk index from its trailer, every recipe and every snapshot. Objects that
// cannot be read are skipped and listed in the report (their snapshots then
// fail `check`/export with a precise error instead of being invented); a
// skipped snapshot is never silently gone: `check` reports its manifest and
// `prune` refuses to delete its data until it is forgotten by id.
// Log-truncation records exist only in the catalog and are lost.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "certvault/repository/keys.h"
#include "certvault/repository/location.h"

namespace certvault {

struct RepairReport {
  uint32_t packs = 0;
  uint32_t dictionaries = 0;
  uint64_t chunks = 0;
  uint32_t recipes = 0;
  uint32_t snapshots = 0;
  std::vector<std::string> problems;  // unreadable objects, with the reason
  std::string old_catalog_moved_to;   // empty when there was none
};

// An encrypted repository is read with `credentials` (none: Credentials::from_environment()).
// A remote repository's catalog cache is rebuilt the same way (the old one moved aside).
RepairReport repair_catalog(const RepositoryLocation& repository,
                            const std::optional<Credentials>& credentials = std::nullopt);

}  // namespace certvault
