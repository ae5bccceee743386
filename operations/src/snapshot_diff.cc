#include "certvault/operations/snapshot_diff.h"

#include <map>

namespace certvault {

SnapshotDiff diff_files(const std::vector<catalog::FileRecord>& before, const std::vector<catalog::FileRecord>& after) {
  struct Sides {
    const catalog::FileRecord* before = nullptr;
    const catalog::FileRecord* after = nullptr;
  };
  std::map<std::string, Sides> by_path;
  for (const auto& file : before) by_path[file.path].before = &file;
  for (const auto& file : after) by_path[file.path].after = &file;

  SnapshotDiff diff;
  auto& summary = diff.summary;
  for (const auto& [path, sides] : by_path) {
    FileChange change;
    change.path = path;
    if (!sides.before) {
      change.kind = FileChange::Kind::kAdded;
      ++summary.added;
      summary.added_bytes += sides.after->size;
    } else if (!sides.after) {
      change.kind = FileChange::Kind::kRemoved;
      ++summary.removed;
      summary.removed_bytes += sides.before->size;
    } else if (sides.before->digest != sides.after->digest || sides.before->size != sides.after->size) {
      change.kind = FileChange::Kind::kChanged;
      ++summary.changed;
      summary.changed_bytes_before += sides.before->size;
      summary.changed_bytes_after += sides.after->size;
    } else {
      ++summary.unchanged;
      continue;
    }
    if (sides.before) change.before = *sides.before;
    if (sides.after) change.after = *sides.after;
    diff.changes.push_back(std::move(change));
  }
  return diff;
}

SnapshotDiff diff_snapshots(const catalog::Catalog& catalog, const std::string& before_id,
                            const std::string& after_id) {
  return diff_files(catalog.files(before_id), catalog.files(after_id));
}

const char* change_name(FileChange::Kind kind) {
  switch (kind) {
    case FileChange::Kind::kAdded:
      return "added";
    case FileChange::Kind::kRemoved:
      return "removed";
    case FileChange::Kind::kChanged:
      return "changed";
  }
  return "changed";
}

}  // namespace certvault
