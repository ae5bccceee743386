// The chains of CA snapshots: the one place that knows which full an incremental is restored
// from, which incrementals build on a full, and whether a server's newest chain is intact.
// `show`, export and restore (export_plan.h), `--type auto` (api_backup.cc) and retention
// (retention.h) all ask it.
//
// Contract:
// - Pure: built from snapshot records, reads nothing else. The records come oldest first, as
//   Catalog::snapshots() returns them (by time, equal times in commit order); equal times are never
//   re-sorted. The records must outlive the SnapshotChains: it answers with pointers to them.
// - A chain is a full F and the incrementals of F's server that name F as base_full. The chain is
//   ordered by parent links: from F, the next link is the incremental whose parent is the link
//   before it (the first in record order if several claim it). In a consistent catalog that is the
//   record order; the links decide where the record order disagrees (snapshots taken in the same
//   second and re-inserted in another order by `repair catalog`). Members no link reaches follow in
//   record order and leave the chain broken from the first of them.
// - An incremental whose full is not among the records still has a chain (full == nullptr); one
//   that names no full is a chain of its own. Both are broken. Folder snapshots have no chain.
// - Whether logs continue from one link to the next is log_chain.h's check_continuation().
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault {

class SnapshotChains {
 public:
  struct Chain {
    std::string server;
    std::string full_id;                                       // the base_full its incrementals name
    const catalog::SnapshotRecord* full = nullptr;             // null: that full is not among the records
    std::vector<const catalog::SnapshotRecord*> incrementals;  // oldest first, as above
    size_t linked = 0;  // incrementals[0, linked) each name the link before (or the full) as parent
  };

  // The snapshots a restore of a target needs besides the target itself.
  struct RestoreChain {
    const catalog::SnapshotRecord* full = nullptr;             // the target itself for a full
    std::vector<const catalog::SnapshotRecord*> incrementals;  // the links before the target
    std::string broken;  // why the records cannot restore the target (names the snapshots); empty if they can
  };

  // A server's newest chain, which the next incremental backup would continue.
  struct LatestChain {
    const catalog::SnapshotRecord* full = nullptr;    // the server's newest full (record order)
    const catalog::SnapshotRecord* latest = nullptr;  // the last link of its chain, or the full
    // The full records its log range and every link is linked and continues the logs of the one
    // before it.
    bool intact = false;
  };

  explicit SnapshotChains(const std::vector<catalog::SnapshotRecord>& oldest_first);
  explicit SnapshotChains(std::vector<const catalog::SnapshotRecord*> oldest_first);

  // In the order of each chain's first record.
  const std::vector<Chain>& chains() const { return chains_; }

  // The chain a full or incremental among the records belongs to; null otherwise.
  const Chain* chain_of(const std::string& snapshot_id) const;

  // The restore chain of `snapshot_id`: for an incremental, its full and the links before it; for
  // a full, the full alone. An id not among the records, or a folder snapshot, is `broken`.
  RestoreChain restore_chain(const std::string& snapshot_id) const;

  // The snapshots that stop being restorable without `snapshot_id`: every incremental of a full,
  // the later links of an incremental, nothing for a folder snapshot.
  std::vector<const catalog::SnapshotRecord*> dependents_of(const std::string& snapshot_id) const;

  // The newest chain of a series: fulls whose source (or, without one, server) is `series`.
  LatestChain latest_chain(const std::string& series) const;

 private:
  std::vector<const catalog::SnapshotRecord*> records_;
  std::unordered_map<std::string, const catalog::SnapshotRecord*> by_id_;
  std::vector<Chain> chains_;
  std::unordered_map<std::string, size_t> chain_of_snapshot_;  // snapshot id -> index in chains_
};

// What `show` prints about one snapshot's chain, read from the catalog (the snapshots of its
// server) and walked by SnapshotChains; copies, so nothing dangles.
struct ChainAround {
  std::optional<catalog::SnapshotRecord> base_full;   // an incremental's full; absent if not in the repository
  std::vector<catalog::SnapshotRecord> incrementals;  // an incremental's links before it, or a full's incrementals
  std::string broken;                                 // why an incremental cannot be restored; empty if it can
};
ChainAround chain_around(const catalog::Catalog& catalog, const catalog::SnapshotRecord& snapshot);

}  // namespace certvault
