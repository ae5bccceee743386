// Removing snapshots from a repository (the storage half of `forget`).
//
// Contract:
// - forget_snapshots() needs the exclusive lock (Error(kRefused) otherwise).
//   Each id must be a full 32-hex-digit snapshot id; which snapshots may go
//   (chains, retention) is the caller's decision, not checked here.
// - It removes the snapshots' catalog rows (files, tags, restore map, missing
//   files) in one transaction, then their manifest objects. Truncation records
//   stay: they are history and the catalog holds the only copy. Chunks,
//   recipes and packs are left for `prune`.
// - Crash safety: rows first, manifests second. A crash between the two leaves
//   manifests with no catalog row: the snapshots are gone for every reader,
//   `check` lists the manifests as leftovers (a warning), and a rerun, or the
//   next prune, removes them. The opposite order could leave a catalog row
//   whose manifest is gone, which `check` must report as damage.
// - Idempotent: an id whose rows are already gone only has its manifest
//   removed; an id with neither rows nor manifest is Error(kUsage).
#pragma once

#include <string>
#include <vector>

namespace certvault {

class Repository;

void forget_snapshots(Repository& repository, const std::vector<std::string>& ids);

}  // namespace certvault
