// Space accounting for `certvault stats`: logical bytes, bytes in packs,
// deduplication and compression, and the bytes only one snapshot holds.
//
// Contract:
// - Reads the catalog only (shared lock is enough); writes nothing but a TEMP
//   table of its own connection. Memory holds the decoded recipes files use
//   and their bases (new ids and copy runs), not the chunk index.
// - A chunk is unique to a snapshot when every file's effective chunk list
//   that holds it (a delta resolved through its bases, as prune and check see
//   it) belongs to that snapshot alone. Unique pack bytes count the chunk's
//   pack entry (header and compressed data): what prune would free if that
//   snapshot were forgotten.
// - Cost: each recipe's new ids are tallied once (issue 14); who holds a
//   copied id is carried, run by run, from the deltas that copy it down to the
//   recipe that introduced it. A recipe row that does not hash to its id, a
//   chunk count that disagrees, a copy run outside its base or a chain deeper
//   than the format allows throws Error(kIntegrity).
// - With a focus snapshot, "referenced" totals are that snapshot's distinct
//   chunks; without, every chunk any snapshot references.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault {

class Repository;

struct SnapshotUsage {
  std::string id;
  uint64_t logical_bytes = 0;
  uint64_t added_bytes = 0;  // pack bytes its backup wrote
  uint64_t unique_chunks = 0, unique_raw_bytes = 0, unique_stored_bytes = 0, unique_pack_bytes = 0;
};

struct RepositoryStats {
  uint64_t snapshots = 0;
  uint64_t logical_bytes = 0;                // sum of file sizes over the snapshots reported on
  catalog::Catalog::ChunkTotals referenced;  // distinct chunks they reference
  catalog::Catalog::ChunkTotals indexed;     // every chunk in the index (unreferenced ones wait for prune)
  catalog::Catalog::PackTotals packs;
  double dedup_ratio = 0;                   // logical bytes / referenced raw bytes
  double compression_ratio = 0;             // referenced raw bytes / referenced stored bytes
  std::vector<SnapshotUsage> per_snapshot;  // oldest first; only the focus snapshot when one is given

  // Indexed chunks no snapshot references, and their stored bytes: what prune frees (meaningful
  // without a focus snapshot).
  uint64_t unreferenced_chunks() const { return indexed.chunks - std::min(indexed.chunks, referenced.chunks); }
  uint64_t unreferenced_stored_bytes() const {
    return indexed.stored_bytes - std::min(indexed.stored_bytes, referenced.stored_bytes);
  }
};

// With `source`, the report is on that series' snapshots (like a focus snapshot, but several).
RepositoryStats compute_stats(Repository& repository, const std::optional<std::string>& snapshot_id = std::nullopt,
                              const std::optional<std::string>& source = std::nullopt);

}  // namespace certvault
