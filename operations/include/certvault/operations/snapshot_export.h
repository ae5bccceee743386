// Rebuilding a snapshot's files from the repository.
//
// Contract: every chunk read back is verified (entry header, stored checksum,
// decompressed size, keyed chunk id) and every file's whole-file digest is
// recomputed; any mismatch throws Error(kIntegrity) naming the snapshot, file,
// file offset and pack. export_snapshot() writes a snapshot's files at their
// snapshot paths through an ExportDestination (export_destination.h): a folder
// staged beside the target and renamed into place, or a tar stream/file — so
// an interrupted export never looks complete. Paths are checked with
// check_relative_path() before anything is written. A non-empty target is
// refused unless `force` is set (it is then replaced as a whole). CA snapshots
// in the certutil layout are exported by ca_export.h, built on export_file().
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

#include "certvault/catalog/catalog.h"

namespace certvault {

class Repository;
class ExportDestination;

struct ExportOptions {
  std::filesystem::path target;
  bool force = false;
};

struct ExportResult {
  uint32_t files = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

// `tar` non-empty: write a tar to that file ("-": standard output) instead of `options.target`.
ExportResult export_snapshot(Repository& repository, const std::string& snapshot_id, const ExportOptions& options,
                             const std::string& tar = {});

// Streams one verified file into `destination` as `path`; returns the plain
// (unkeyed) XXH3-128 of its bytes in hex, as `xxhsum -H2` prints it.
std::string export_file(Repository& repository, const std::string& snapshot_id, const catalog::FileRecord& file,
                        const std::string& path, ExportDestination& destination);
// The same for bytes certvault generates (certbkxp.dat, MANIFEST).
std::string export_bytes(std::span<const uint8_t> bytes, const std::string& path, ExportDestination& destination);
std::string plain_digest_hex(std::span<const uint8_t> bytes);

}  // namespace certvault
