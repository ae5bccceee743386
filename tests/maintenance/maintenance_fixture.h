// A small repository (1 MiB packs, so that snapshots own whole packs) driven
// through the public API, with forget, prune and check at hand.
#pragma once

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/check.h"
#include "certvault/repository/prune.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_forget.h"
#include "test_support.h"

namespace certvault_test {

class MaintenanceRepo {
 public:
  MaintenanceRepo() {
    certvault::InitOptions options;
    options.pack_target_bytes = 1u << 20;
    certvault::Repository::init(repo_path(), options);
  }
  std::filesystem::path repo_path() const { return temp_.path() / "repo"; }
  std::filesystem::path scratch(const std::string& leaf) const { return temp_.path() / leaf; }

  std::unique_ptr<certvault::Repository> open(certvault::LockMode mode = certvault::LockMode::kExclusive) const {
    return certvault::Repository::open(repo_path(), mode);
  }
  std::string back_up(const std::filesystem::path& folder) const {
    auto repository = open();
    return certvault::back_up_folder(*repository, {folder, {}, {}}).snapshot_id;
  }
  void forget(const std::vector<std::string>& ids) const {
    auto repository = open();
    certvault::forget_snapshots(*repository, ids);
  }
  certvault::PruneReport prune(double max_unused = 10, bool dry_run = false) const {
    auto repository = open();
    return certvault::prune_repository(*repository, {max_unused, dry_run, {}});
  }
  certvault::CheckReport check(bool read_data = true) const {
    auto repository = open(certvault::LockMode::kShared);
    return certvault::check_repository(*repository, {read_data, 0, {}});
  }
  // Pack object names on disk.
  std::set<std::string> pack_files() const { return objects_under("packs"); }
  std::set<std::string> objects_under(const std::string& folder) const {
    std::set<std::string> names;
    if (!std::filesystem::exists(repo_path() / folder)) return names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(repo_path() / folder)) {
      if (entry.is_regular_file()) names.insert(std::filesystem::relative(entry.path(), repo_path()).generic_string());
    }
    return names;
  }
  uint64_t bytes_under(const std::string& folder) const {
    uint64_t total = 0;
    for (const auto& name : objects_under(folder)) total += std::filesystem::file_size(repo_path() / name);
    return total;
  }
  std::vector<std::pair<std::string, std::vector<uint8_t>>> exported(const std::string& id) const {
    const auto target = scratch("export-" + std::to_string(++exports_));
    auto repository = open(certvault::LockMode::kShared);
    certvault::export_snapshot(*repository, id, {target, false});
    return folder_contents(target);
  }

 private:
  TempFolder temp_{"maintenance"};
  mutable int exports_ = 0;
};

// The JSON object a command printed on stdout; `output` also holds its stderr
// (warnings, progress), so take the text from the first line that opens an
// object to the last closing brace.
inline nlohmann::json json_in(const std::string& output) {
  const size_t start = output.starts_with("{") ? 0 : output.find("\n{");
  const size_t end = output.rfind('}');
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  return nlohmann::json::parse(output.substr(start, end + 1 - start));
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// Replaces the contents of `folder` with `files` (name -> bytes).
inline void set_folder(const std::filesystem::path& folder,
                       const std::vector<std::pair<std::string, std::vector<uint8_t>>>& files) {
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  for (const auto& [name, bytes] : files) write_bytes(folder / name, bytes);
}

}  // namespace certvault_test
