// `certvault prune`: frees the space of data no snapshot needs any more.
//
// Contract:
// - Needs the exclusive lock (Error(kRefused) otherwise), so no backup runs:
//   every chunk not reachable from a snapshot in the catalog is garbage,
//   including what crashed backups left behind.
// - Live set: snapshots -> files -> recipes (a delta recipe keeps its base
//   chain's recipe rows and objects, which resolve its id list) -> the chunks of
//   each file's effective list only: chunks that only a forgotten base named
//   are freed (issue 14). check verifies the same lists. Computed inside SQLite temporary tables, so memory
//   stays bounded by one pack's index, not by the repository's chunk count.
// - Removes: leftover temp files; manifests with no snapshot row; recipes no
//   file needs (rows, then objects, plus recipe objects not in the catalog);
//   packs with no live chunk; packs not in the catalog; dictionaries no remaining
//   chunk row names, and dictionary objects not in the catalog. Repacks packs whose
//   unused share (bytes of chunks nothing needs / pack size) exceeds
//   `max_unused_percent`: their live chunks are copied, still compressed and
//   re-verified, into new packs.
// - Crash-safe order (docs/design.md): top-down (manifests, recipes, packs),
//   and for every pack change: new packs written, fsynced and committed in the
//   catalog before an old pack object is deleted; catalog rows go before the
//   objects they describe. A crash at any point leaves a repository that
//   `check` passes (leftovers are warnings) and a rerun finishes the work.
// - dry_run: computes and reports the same figures, changes nothing.
// - Reads every manifest object first: while one is damaged (unreadable,
//   failing its checksum or decoding, or holding another id) prune throws
//   Error(kIntegrity) naming it and removes nothing, since the snapshot it
//   describes may be missing from the catalog (`repair catalog` cannot rebuild
//   it) and its data would look unused. Forgetting that snapshot by id removes
//   the manifest and lets prune run.
// - A live chunk that cannot be read back intact stops prune with
//   Error(kIntegrity) before anything of its pack is deleted.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace certvault {

class Repository;

struct PruneOptions {
  double max_unused_percent = 10;  // repack a pack when more than this share of it is unused
  bool dry_run = false;
  std::function<void(const std::string&)> progress;  // optional: one line per phase
  // Dry run only: snapshots to count as forgotten (`forget --dry-run --prune` reports what prune
  // would free with the planned snapshots gone).
  std::vector<std::string> assume_forgotten = {};
};

struct PruneReport {
  bool dry_run = false;
  uint64_t snapshots = 0;
  uint64_t live_recipes = 0, live_chunks = 0;
  uint64_t packs_before = 0, pack_bytes_before = 0;  // catalog packs + orphan packs
  uint64_t packs_after = 0, pack_bytes_after = 0;
  uint64_t packs_deleted = 0;   // catalog packs with no live chunk
  uint64_t packs_repacked = 0;  // old packs whose live chunks were copied
  uint64_t packs_written = 0;   // new packs the repack wrote
  uint64_t chunks_removed = 0;  // index rows of chunks nothing needs, in deleted or repacked packs
  uint64_t recipes_removed = 0;
  uint64_t dictionaries_removed = 0;  // dictionaries no live chunk uses (rows and objects)
  uint64_t orphan_packs_removed = 0, orphan_manifests_removed = 0, orphan_recipes_removed = 0;
  uint64_t temporaries_removed = 0;
  uint64_t bytes_freed = 0;  // pack bytes before - after (a dry run's estimate)
};

PruneReport prune_repository(Repository& repository, const PruneOptions& options);

}  // namespace certvault
