// Snapshot manifests: everything a snapshot needs to be restored, as an object
// of its own (snapshots/<id>.snap), so `repair catalog` can rebuild the
// catalog from the repository alone.
//
// Body: UTF-8 JSON (docs/format.md §4.2 lists the fields) inside a framed
// object (framed_format.h, §4) with magic "CVSNAPSH" and version kVersion.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault::manifest {

inline constexpr uint32_t kVersion = 1;  // in the frame's version field (§4.2)

struct Manifest {
  catalog::SnapshotRecord snapshot;
  std::vector<catalog::FileRecord> files;
  std::vector<catalog::MissingFile> missing_files;
};

std::string object_name(const std::string& snapshot_id);
std::vector<uint8_t> encode(const Manifest& manifest);
// Throws Error(kIntegrity) naming `what` for any malformed input.
Manifest decode(std::span<const uint8_t> object, const std::string& what);

}  // namespace certvault::manifest
