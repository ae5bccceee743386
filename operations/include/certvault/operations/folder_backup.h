// `certvault backup --folder DIR`: every regular file under DIR as a snapshot.
//
// Contract: walks DIR in sorted order, keeps relative paths ('/'-separated),
// reports symlinks and special files through `on_skip` and records them as
// missing in the snapshot (never follows them). The snapshot's series (its
// `source`) is `source` when given, else DIR as the user gave it, made absolute
// lexically (series_of_folder(): symbolic links are not resolved, so a
// `current` link to a new folder each night stays one series); the resolved
// folder is recorded as `source_path`, for display. The latest snapshot of the
// same series is the parent and the dedup reference (delta bases by path), so
// an unchanged file costs no new data and no new recipe.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
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
  std::optional<std::string> source = std::nullopt;  // the series name (`--source`); default: series_of_folder(folder)
};

struct FolderBackupResult {
  std::string snapshot_id;
  std::string source;  // the series it joined
  uint32_t files = 0;
  uint32_t skipped = 0;
  uint64_t logical_bytes = 0;
  uint64_t new_bytes_stored = 0;
  double seconds = 0;
};

// DIR as a series name: absolute, "." and ".." resolved lexically, no trailing separator, symbolic
// links kept as given.
std::string series_of_folder(const std::filesystem::path& folder);

FolderBackupResult back_up_folder(Repository& repository, const FolderBackupOptions& options);

}  // namespace certvault
