// Rebuilding a snapshot's files from the repository.
//
// Contract: every chunk read back is verified (entry header, stored checksum,
// decompressed size, keyed chunk id) and every file's whole-file digest is
// recomputed before the file is renamed into place; any mismatch throws
// Error(kIntegrity) naming the snapshot, file, file offset and pack. Files are
// written under a temporary name, fsynced and renamed, so an interrupted
// export never leaves a complete-looking file. Paths are checked with
// safe_join(): nothing is written outside the target folder. A non-empty
// target is refused unless `force` is set.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

#include "certvault/catalog/catalog.h"

namespace certvault {

class Repository;

struct ExportOptions {
  std::filesystem::path target;
  bool force = false;
};

struct ExportResult {
  uint32_t files = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

ExportResult export_snapshot(Repository& repository, const std::string& snapshot_id, const ExportOptions& options);

// Streams one file's verified bytes to `sink` in order (used by export, tar
// streaming and restore).
void read_file_contents(Repository& repository, const std::string& snapshot_id, const catalog::FileRecord& file,
                        const std::function<void(std::span<const uint8_t>)>& sink);

}  // namespace certvault
