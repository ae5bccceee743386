#include "certvault/repository/repository.h"

#include <fmt/format.h>

#include <chrono>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/snapshot_writer.h"
#include "config_format.h"
#include "config_sealing.h"
#include "config_settings.h"
#include "crypto.h"
#include "dictionary.h"
#include "key_slots.h"
#include "migration_staging.h"

namespace certvault {
namespace {

constexpr const char* kConfigObject = config_format::kObjectName;

// The object store of a writer: every removal first checks that REPO/lock still names the file
// whose lock this process holds (RepositoryLock::check_held), so a writer whose lock file was
// deleted or replaced stops instead of deleting beside another writer.
class LockCheckedObjectStore final : public ObjectStore {
 public:
  LockCheckedObjectStore(std::unique_ptr<ObjectStore> inner, const RepositoryLock& lock)
      : inner_(std::move(inner)), lock_(lock) {}
  std::unique_ptr<ObjectWriter> create(const std::string& name) override { return inner_->create(name); }
  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    return inner_->read(name, offset, length);
  }
  uint64_t size(const std::string& name) const override { return inner_->size(name); }
  bool exists(const std::string& name) const override { return inner_->exists(name); }
  std::vector<std::string> list(const std::string& prefix) const override { return inner_->list(prefix); }
  void remove(const std::string& name) override {
    lock_.check_held("removing object " + name);
    inner_->remove(name);
  }
  size_t remove_temporaries() override {
    lock_.check_held("removing temporary objects");
    return inner_->remove_temporaries();
  }

 private:
  std::unique_ptr<ObjectStore> inner_;
  const RepositoryLock& lock_;
};

RepositoryConfig read_config(const ObjectStore& objects, const std::filesystem::path& dir) {
  const std::string origin = (dir / kConfigObject).string();
  if (!objects.exists(kConfigObject)) {
    throw Error(ErrorKind::kUsage, fmt::format("{} is not a certvault repository (no config file)", dir.string()));
  }
  const auto bytes = objects.read_all(kConfigObject);
  return RepositoryConfig::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), origin);
}

}  // namespace

void Repository::init(const std::filesystem::path& dir, const InitOptions& options) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) {
      throw Error(ErrorKind::kRefused, fmt::format("{} exists and is not a folder", dir.string()));
    }
    if (std::filesystem::exists(dir / kConfigObject)) {
      throw Error(ErrorKind::kRefused, fmt::format("{} is already a certvault repository", dir.string()));
    }
    if (!std::filesystem::is_empty(dir, ec)) {
      throw Error(ErrorKind::kRefused,
                  fmt::format("{} is not empty and not a repository; choose an empty or new folder", dir.string()));
    }
  }
  // New folders are durable once their parents are synced; the config's commit syncs `dir` itself.
  for (const auto& folder : os::create_folders(dir, "create repository " + os::display(dir))) {
    os::sync_folder(folder.parent_path().empty() ? "." : folder.parent_path(), "create repository");
  }
  // The repository holds a CA's database: its owner's alone (POSIX 0700; on Windows an ACL for
  // SYSTEM, Administrators and Backup Operators that everything inside inherits), also when the
  // folder existed, empty, before init.
  os::file_system().make_private(dir, "create repository " + os::display(dir));

  RepositoryConfig config;
  std::array<uint8_t, 16> id;
  fill_random(id);
  config.repository_id = to_hex(id);
  config.created_unix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  fill_random(config.chunker_key);
  fill_random(config.chunk_id_secret);
  try {
    config.chunk_params = chunker::Params::from_average(options.chunk_avg);
    config.chunk_params.validate();
  } catch (const Error& e) {
    throw Error(ErrorKind::kUsage, fmt::format("--chunk-avg {}: {}", options.chunk_avg, e.what()));
  }
  if (options.zstd_level < 1 || options.zstd_level > 19) {
    throw Error(ErrorKind::kUsage, fmt::format("--compression {}: zstd level must be 1..19", options.zstd_level));
  }
  if (options.pack_target_bytes < (1u << 20) || options.pack_target_bytes > (4ull << 30)) {
    throw Error(ErrorKind::kUsage,
                fmt::format("pack target {} bytes: must be 1 MiB..4 GiB", options.pack_target_bytes));
  }
  config.zstd_level = options.zstd_level;
  config.pack_target_bytes = options.pack_target_bytes;
  const uint32_t format_version = options.encryption ? kEncryptedFormatVersion : options.format_version;
  if (format_version < kOldestRepositoryFormatVersion || format_version > kRepositoryFormatVersion ||
      (format_version == kEncryptedFormatVersion && !options.encryption)) {
    throw Error(ErrorKind::kInternal, fmt::format("repository format version {} cannot be created", format_version));
  }
  config.format_version = format_version;

  // The catalog first, the config object last: a folder with a config is a
  // complete repository, so an interrupted init leaves no half repository.
  auto lock = RepositoryLock::acquire(dir, LockMode::kExclusive);
  auto catalog = catalog::Catalog::open(catalog_path(dir));
  copy_config_into_catalog(config, *catalog);
  auto objects = open_local_object_store(dir);
  std::string text;
  if (options.encryption) {
    // The key slot before the config: a config names a complete repository, and an encrypted
    // one is complete only once a slot can open it.
    const auto key = crypto::new_master_key(config.repository_id);
    key_slots::create(*objects, *key, *options.encryption, options.kdf);
    text = seal_config(config, *key);
  } else {
    text = config.serialize();
  }
  objects->put(kConfigObject, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::unique_ptr<Repository> Repository::open(const std::filesystem::path& dir, LockMode mode,
                                             const std::function<void(const std::string&)>& warn,
                                             const std::optional<Credentials>& credentials) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorKind::kUsage, fmt::format("repository {} does not exist or is not a folder", dir.string()));
  }
  std::unique_ptr<Repository> repository(new Repository());
  repository->root_ = dir;
  repository->objects_ = open_local_object_store(dir);
  repository->config_ = read_config(*repository->objects_, dir);
  repository->lock_ = RepositoryLock::acquire(dir, mode, warn);
  if (repository->config_.encrypted()) {
    auto unlocked = unlock_objects(std::move(repository->objects_), repository->config_, credentials, dir);
    repository->objects_ = std::move(unlocked.objects);
    repository->master_key_ = std::move(unlocked.key);
    repository->opened_key_slot_ = std::move(unlocked.slot_id);
    if (unlocked.migration_unfinished && warn) {
      warn(
          fmt::format("repository {} is encrypted, but `certvault migrate --encrypt` was interrupted before it "
                      "moved every encrypted object into place: they are read from {} meanwhile; run `certvault "
                      "migrate --encrypt` again (with the same passphrase or key file) to finish",
                      os::display(dir), migration::kStagingPrefix));
    }
  } else if (warn && migration::has_staged_objects(*repository->objects_)) {
    warn(
        fmt::format("repository {} is still plaintext: `certvault migrate --encrypt` was interrupted before it "
                    "switched to encryption; its leftovers in {} are ignored, and discarded when it runs again",
                    os::display(dir), migration::kStagingPrefix));
  }
  if (mode == LockMode::kExclusive) {
    repository->objects_ =
        std::make_unique<LockCheckedObjectStore>(std::move(repository->objects_), *repository->lock_);
  }
  if (!std::filesystem::exists(catalog_path(dir))) {
    throw Error(ErrorKind::kIntegrity, fmt::format("catalog {} is missing; rebuild it with `certvault repair catalog "
                                                   "--repo {}`",
                                                   catalog_path(dir).string(), dir.string()));
  }
  try {
    repository->catalog_ = catalog::Catalog::open(catalog_path(dir));
    // Under the repository lock no other process writes the catalog: an exclusive holder is alone, and
    // readers only read. Opening read the catalog once already, rolling back any hot journal a crashed
    // writer left, so keeping the file locks from here on can block nobody who needs them.
    repository->catalog_->keep_file_locks();
  } catch (const catalog::CatalogError& e) {
    // Busy (kLocked) or newer than this build (kRefused) is no damage: no rebuild would help.
    if (e.kind() == ErrorKind::kLocked || e.kind() == ErrorKind::kRefused) throw;
    throw Error(ErrorKind::kIntegrity, fmt::format("{}; if the catalog is damaged, rebuild it with `certvault repair "
                                                   "catalog --repo {}`",
                                                   e.what(), dir.string()));
  }
  const auto catalog_id = repository->catalog_->setting("repository-id");
  if (catalog_id != repository->config_.repository_id) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("catalog {} belongs to repository {}, but config says {}; rebuild it with `certvault "
                            "repair catalog --repo {}`",
                            catalog_path(dir).string(), catalog_id.value_or("(none)"),
                            repository->config_.repository_id, dir.string()));
  }
  require_catalog_agrees_with_config(repository->config_, *repository->catalog_, dir / kConfigObject);
  repository->dictionaries_ = std::make_unique<dictionary::DictionaryCache>(*repository->objects_);
  return repository;
}

Repository::~Repository() = default;

void Repository::check_lock(const std::string& before) const { lock_->check_held(before); }

bool Repository::is_repository(const std::filesystem::path& dir) {
  const auto config = os::file_system().status(dir / kConfigObject, false);
  return config && config->type == os::EntryType::kFile;
}

std::string Repository::resolve(std::string_view spec, const catalog::SnapshotFilter& scope) const {
  if (spec == "latest") {
    const auto latest = catalog_->latest_snapshot(scope);
    if (!latest) throw Error(ErrorKind::kUsage, "no snapshot matches 'latest': the repository has none that match");
    return latest->id;
  }
  if (spec.empty() || spec.size() > 32 || spec.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    throw Error(ErrorKind::kUsage,
                fmt::format("'{}' is not a snapshot id: use 'latest', an id or a unique prefix (hex)", spec));
  }
  const auto matches = catalog_->snapshot_ids_with_prefix(std::string(spec));
  if (matches.empty()) throw Error(ErrorKind::kUsage, fmt::format("no snapshot id starts with '{}'", spec));
  if (matches.size() > 1) {
    std::string list;
    for (size_t i = 0; i < matches.size() && i < 5; ++i) list += (i ? ", " : "") + matches[i].substr(0, 12);
    throw Error(ErrorKind::kUsage, fmt::format("'{}' is ambiguous: {} snapshots match ({}{})", spec, matches.size(),
                                               list, matches.size() > 5 ? ", ..." : ""));
  }
  return matches.front();
}

}  // namespace certvault
