// A repository in a temporary folder, driven through the public C++ API.
#pragma once

#include <functional>
#include <memory>

#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_writer.h"
#include "test_support.h"

namespace certvault_test {

class RepositoryFixture {
 public:
  explicit RepositoryFixture(certvault::InitOptions options = {}) {
    options.pack_target_bytes = std::max<uint64_t>(options.pack_target_bytes >> 3, 1 << 20);
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

  // Exports `id` into a fresh folder and returns its contents.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> exported(const std::string& id) const {
    static int counter = 0;
    const auto target = scratch("export-" + std::to_string(++counter));
    auto repository = open(certvault::LockMode::kShared);
    certvault::export_snapshot(*repository, id, {target, false});
    return folder_contents(target);
  }

 private:
  TempFolder temp_{"repo"};
};

}  // namespace certvault_test
