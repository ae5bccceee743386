#include "migration_staging.h"

#include <algorithm>

#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"

namespace certvault::migration {
namespace {

namespace fs = std::filesystem;

std::string staged(const std::string& name) { return std::string(kStagingPrefix) + name; }

bool is_staged(const std::string& name) { return name.compare(0, kStagingPrefix.size(), kStagingPrefix) == 0; }

class StagingArea final : public ObjectStore {
 public:
  explicit StagingArea(ObjectStore& local) : local_(local) {}
  std::unique_ptr<ObjectWriter> create(const std::string& name) override { return local_.create(staged(name)); }
  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    return local_.read(staged(name), offset, length);
  }
  uint64_t size(const std::string& name) const override { return local_.size(staged(name)); }
  bool exists(const std::string& name) const override { return local_.exists(staged(name)); }
  std::vector<std::string> list(const std::string& prefix) const override {
    auto names = local_.list(staged(prefix));
    for (auto& name : names) name.erase(0, kStagingPrefix.size());
    return names;
  }
  void remove(const std::string& name) override { local_.remove(staged(name)); }
  size_t remove_temporaries() override { return local_.remove_temporaries(); }

 private:
  ObjectStore& local_;
};

class StagedOverlay final : public ObjectStore {
 public:
  explicit StagedOverlay(std::unique_ptr<ObjectStore> local) : local_(std::move(local)) {}
  // A writer's new objects go to their final names: the names of new objects are new (random, or
  // keyed digests of the content, whose staged twin holds the same plaintext).
  std::unique_ptr<ObjectWriter> create(const std::string& name) override { return local_->create(name); }
  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    return local_->read(where(name), offset, length);
  }
  uint64_t size(const std::string& name) const override { return local_->size(where(name)); }
  bool exists(const std::string& name) const override { return local_->exists(where(name)); }
  std::vector<std::string> list(const std::string& prefix) const override {
    auto names = local_->list(prefix);
    names.erase(std::remove_if(names.begin(), names.end(), is_staged), names.end());
    for (auto name : local_->list(staged(prefix))) names.push_back(name.erase(0, kStagingPrefix.size()));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  }
  void remove(const std::string& name) override {
    if (local_->exists(staged(name))) local_->remove(staged(name));
    if (local_->exists(name)) local_->remove(name);
  }
  size_t remove_temporaries() override { return local_->remove_temporaries(); }

 private:
  std::string where(const std::string& name) const { return local_->exists(staged(name)) ? staged(name) : name; }
  std::unique_ptr<ObjectStore> local_;
};

// Removes every empty folder under `folder` and then `folder` itself if it became empty; true if
// it did. Each removal is made durable by syncing the parent.
bool remove_empty_folders(const fs::path& folder, const std::string& operation) {
  bool empty = true;
  for (const auto& entry : os::file_system().list_folder(folder, operation)) {
    const fs::path path = folder / entry.name;
    if (entry.type != os::EntryType::kFolder || !remove_empty_folders(path, operation)) empty = false;
  }
  if (!empty) return false;
  os::file_system().remove_folder(folder, operation);
  os::sync_folder(folder.parent_path(), operation);
  return true;
}

}  // namespace

bool has_staged_objects(const ObjectStore& local) { return !local.list(std::string(kStagingPrefix)).empty(); }

std::unique_ptr<ObjectStore> staging_area(ObjectStore& local) { return std::make_unique<StagingArea>(local); }

std::unique_ptr<ObjectStore> overlay_staged_objects(std::unique_ptr<ObjectStore> local) {
  return std::make_unique<StagedOverlay>(std::move(local));
}

void move_into_place(const fs::path& root, const std::string& name) {
  validate_object_name(name);
  const std::string operation = "move the encrypted object " + name + " into place";
  const fs::path from = root / staged(name);
  const fs::path to = root / name;
  const auto created = os::create_folders(to.parent_path(), operation);
  os::replace_file(from, to, operation);
  os::sync_folder(to.parent_path(), operation);
  for (const auto& folder : created) os::sync_folder(folder.parent_path(), operation);
  // A power cut between the two folder syncs can leave both names on the disk (the same bytes);
  // a rerun renames again and drops a staged name that outlived its rename.
  os::remove_file(from, operation, true);
  os::sync_folder(from.parent_path(), operation);
}

void remove_staging_folders(const fs::path& root) {
  const fs::path folder = root / std::string(kStagingPrefix.substr(0, kStagingPrefix.size() - 1));
  const auto status = os::file_system().status(folder, false);
  if (!status || status->type != os::EntryType::kFolder) return;
  remove_empty_folders(folder, "remove the emptied migration staging folder " + os::display(folder));
}

}  // namespace certvault::migration
