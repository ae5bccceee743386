// The restore chain of a CA snapshot and the files an export of it holds.
//
// Contract: plan_chain() walks the catalog's snapshot rows to find the chain,
// then takes every set's snapshot header and files from its manifest object
// (read_snapshot_contents(): a catalog that disagrees with a manifest is
// Error(kIntegrity) naming the field). It takes an incremental's
// restore chain from SnapshotChains (snapshot_chain.h: its base full and the
// links before it, which must be linked by parent) and checks, before anything
// is written anywhere, that the full holds a database and that the logs of all sets
// cover one contiguous generation range from the full's genLow through the
// snapshot's genHigh; a gap throws Error(kRefused) naming the missing
// generations (and the snapshot whose range they fall in). A missing or
// inconsistent parent, a folder snapshot, or a file name that fails
// check_relative_path() are refused the same way. plan_export() is pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/operations/log_chain.h"
#include "certvault/repository/repository.h"

namespace certvault {

// One backup set as certutil would have written it: a full (database + logs)
// or an incremental (logs only).
struct RestoreSet {
  catalog::SnapshotRecord snapshot;
  std::vector<catalog::FileRecord> database_files;  // role "database" (and patch files); empty for incrementals
  std::vector<catalog::FileRecord> logs;            // sorted by generation
  std::vector<catalog::FileRecord> config_files;    // role "config": the recovery set (fulls only)
  GenerationRange generations;                      // of the logs in this set
};

struct SnapshotChain {
  catalog::SnapshotRecord target;
  std::vector<RestoreSet> sets;                    // the full first, then each incremental up to target
  std::vector<catalog::FileRecord> dynamic_files;  // the target's
  GenerationRange generations;                     // the full's genLow .. the target's genHigh
  const RestoreSet& full() const { return sets.front(); }
};

SnapshotChain plan_chain(Repository& repository, const std::string& snapshot_id);

// The generation gaps between `sets` (each set's own range and the ranges
// between sets); empty when the chain is contiguous. Exposed for tests.
GenerationGaps chain_gaps(const std::vector<RestoreSet>& sets);

enum class ExportLayout {
  kCertutil,  // DataBase/<CA>.edb, DataBase/edbNNNNN.log (every log of the chain), DataBase/certbkxp.dat;
              // both layouts add Dynamic/ and the full's recovery set as Config/
  kSets,      // NN-full/DataBase/..., NN-incremental/DataBase/... (one folder per backup set)
};

struct PlannedFile {
  std::string path;                // in the export, relative, '/'-separated (checked)
  std::string snapshot_id;         // where the bytes are; empty for generated content
  catalog::FileRecord record;      // valid when snapshot_id is set
  std::vector<uint8_t> generated;  // certbkxp.dat
  std::string origin;              // the path the API gave (or "restore map" for certbkxp.dat)
  uint64_t size() const { return snapshot_id.empty() ? generated.size() : record.size; }
};

// Files in the order they are written (database first, logs by generation,
// certbkxp.dat, dynamic files, the recovery set under Config/). MANIFEST is not included: it is written last.
std::vector<PlannedFile> plan_export(const SnapshotChain& chain, ExportLayout layout);

// The folder prefix of set `index` in the sets layout: "00-full", "01-incremental", ...
std::string set_folder_name(const SnapshotChain& chain, size_t index);

}  // namespace certvault
