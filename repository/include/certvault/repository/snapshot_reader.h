// Reading a snapshot's files back from the repository.
//
// Contract: every chunk read back is verified (entry header, stored checksum,
// decompressed size, keyed chunk id) and the file's whole-file digest is
// recomputed; any mismatch throws Error(kIntegrity) naming the snapshot, file,
// file offset and pack. Bytes reach the sink in file order, only after the
// chunk holding them was verified; the whole-file digest is checked after the
// last byte, so a sink that must not keep unverified output (export, restore)
// stages what it writes and commits it only when this returns.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "certvault/catalog/catalog.h"

namespace certvault {

class Repository;

// Streams one file's verified bytes to `sink` in order (used by export, tar
// streaming, restore, verify and check --read-data).
void read_file_contents(Repository& repository, const std::string& snapshot_id, const catalog::FileRecord& file,
                        const std::function<void(std::span<const uint8_t>)>& sink);

}  // namespace certvault
