// A snapshot as its manifest object says it is.
//
// The repository's objects are the truth; the catalog is a cache of them
// (docs/design.md, "Trust model"). Everything a restore, an export or a
// verification acts on — every file's path, role, type code, API path, size,
// digest, recipe and log generation, the raw and parsed restore map, the
// chain links and generations — comes from here, never from the catalog alone.
//
// Contract: read_snapshot_contents() reads the snapshot's manifest object
// (framing checksum, JSON, id), then compares the catalog's rows (snapshot,
// files, missing files) with it field by field. It returns the manifest's
// values. A snapshot the catalog does not know throws Error(kUsage); a missing
// or damaged manifest, or a catalog that disagrees with it, throws
// Error(kIntegrity) naming the snapshot, the manifest object and the first
// field that differs.
#pragma once

#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault {

class Repository;

struct SnapshotContents {
  catalog::SnapshotRecord snapshot;
  std::vector<catalog::FileRecord> files;  // in sequence order
  std::vector<catalog::MissingFile> missing_files;
};

SnapshotContents read_snapshot_contents(Repository& repository, const std::string& snapshot_id);

}  // namespace certvault
