// `certvault backup --folder DIR`: every regular file under DIR as a snapshot.
//
// Contract: walks DIR in sorted order, keeps relative paths ('/'-separated),
// reports symlinks and special files through `on_skip` and records them as
// missing in the snapshot (never follows them). The previous snapshot of the
// same folder is the dedup reference, so an unchanged file costs no new data
// and no new recipe.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace certvault {

class Repository;

struct FolderBackupOptions {
  std::filesystem::path folder;
  std::vector<std::string> tags;
  std::function<void(const std::string& path, const std::string& reason)> on_skip;
  // Bytes asked of each read. Any size gives the same snapshot (tests make it tiny to prove it).
  size_t read_buffer_bytes = 1u << 20;
};

struct FolderBackupResult {
  std::string snapshot_id;
  uint32_t files = 0;
  uint32_t skipped = 0;
  uint64_t logical_bytes = 0;
  uint64_t new_bytes_stored = 0;
  double seconds = 0;
};

FolderBackupResult back_up_folder(Repository& repository, const FolderBackupOptions& options);

}  // namespace certvault
