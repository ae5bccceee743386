// What changed between two snapshots: files added, removed and changed, with a summary.
//
// Contract: diff_files() is a pure function of two file lists; files are matched by path, and a
// file is changed when its size or digest differs. Changes come sorted by path (byte order).
// diff_snapshots() reads the two snapshots' file lists from the catalog (ids as resolved by the
// caller; an unknown id has no files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault {

struct FileChange {
  enum class Kind { kAdded, kRemoved, kChanged };
  Kind kind = Kind::kChanged;
  std::string path;
  std::optional<catalog::FileRecord> before;  // absent when added
  std::optional<catalog::FileRecord> after;   // absent when removed
};

struct DiffSummary {
  uint64_t added = 0, removed = 0, changed = 0, unchanged = 0;
  uint64_t added_bytes = 0, removed_bytes = 0, changed_bytes_before = 0, changed_bytes_after = 0;
};

struct SnapshotDiff {
  std::vector<FileChange> changes;  // by path; unchanged files are only counted
  DiffSummary summary;
};

SnapshotDiff diff_files(const std::vector<catalog::FileRecord>& before, const std::vector<catalog::FileRecord>& after);
SnapshotDiff diff_snapshots(const catalog::Catalog& catalog, const std::string& before_id, const std::string& after_id);

// "added", "removed" or "changed": the words `diff --json` prints.
const char* change_name(FileChange::Kind kind);

}  // namespace certvault
