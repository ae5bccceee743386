// Filling a catalog from the repository's objects: all of them (`repair catalog`, and the first
// open of a remote repository on a machine), or those it lacks (every later open of a remote
// repository, whose catalog is a cache: location.h).
//
// Contract:
// - add_objects() runs inside the caller's begin_rebuild() or begin_catch_up() and adds, in the
//   order references need (packs and dictionaries, recipes base first, snapshots), every object
//   the catalog lacks; the caller then calls finish_rebuild() and add_truncations(). Damaged objects
//   (integrity errors) are skipped and listed in `report.problems` (repair.h says what follows);
//   any other failure to read one (I/O, network) throws, since a catalog without an intact object
//   would hide its snapshot or let prune delete its pack as a leftover.
// - catch_up() brings an existing catalog cache up to date in one transaction: new objects become
//   rows; manifests that vanished (forgotten on another machine) lose their rows. It does not patch
//   around packs, recipes or dictionaries that vanished (another machine's prune): it returns
//   `rebuild` with the reason, and the caller rebuilds the cache from the objects, since a chunk
//   whose indexed copy was pruned may live on in a pack the cache indexed without it.
// - Names are listed in the reverse of the order writers commit them (manifests first, packs last),
//   so every object a listed manifest references was committed before the listing reached it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"
#include "certvault/repository/repair.h"
#include "certvault/repository/repository.h"

namespace certvault::catalog_sync {

void add_objects(const ObjectStore& objects, const RepositoryConfig& config, catalog::Catalog& catalog,
                 bool catching_up, RepairReport& report);
// After finish_rebuild(): the truncation records of the objects that the catalog lacks.
void add_truncations(const ObjectStore& objects, catalog::Catalog& catalog, RepairReport& report);

struct CatchUp {
  bool rebuild = false;
  std::string why;                 // when rebuild
  uint32_t snapshots_removed = 0;  // forgotten elsewhere
  RepairReport added;
};
CatchUp catch_up(const ObjectStore& objects, const RepositoryConfig& config, catalog::Catalog& catalog);

// Builds a catalog of every object at `catalog_path`.rebuilding (leftovers of an interrupted build
// removed first), adds `kept_truncations` for snapshots without truncation objects, and moves it to
// `catalog_path`: an existing catalog there is moved aside as `.damaged-<unix time>` when
// `keep_old` (repair), else replaced (a cache). An interrupted build never leaves a catalog that
// opens but lacks snapshots.
void rebuild_catalog_file(const ObjectStore& objects, const RepositoryConfig& config,
                          const std::filesystem::path& catalog_path, bool keep_old,
                          const std::vector<catalog::TruncationRecord>& kept_truncations, RepairReport& report);

}  // namespace certvault::catalog_sync
