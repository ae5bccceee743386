#include "certvault/repository/repository.h"

#include <fmt/format.h>

#include <chrono>
#include <system_error>

#include "catalog_sync.h"
#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/repair.h"
#include "certvault/repository/snapshot_writer.h"
#include "config_format.h"
#include "config_sealing.h"
#include "config_settings.h"
#include "crypto.h"
#include "dictionary.h"
#include "key_slots.h"
#include "migration_staging.h"
#include "object_lock.h"

namespace certvault {
namespace {

constexpr const char* kConfigObject = config_format::kObjectName;

// The object store of a writer: every removal first checks that the lock is still held
// (Repository::check_lock: REPO/lock still names the file whose lock this process holds, or the
// lock object is still there and refreshed), so a writer whose lock was lost stops instead of
// deleting beside another writer.
class LockCheckedObjectStore final : public ObjectStore {
 public:
  LockCheckedObjectStore(std::unique_ptr<ObjectStore> inner, const Repository& lock)
      : inner_(std::move(inner)), lock_(lock) {}
  std::unique_ptr<ObjectWriter> create(const std::string& name) override { return inner_->create(name); }
  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    return inner_->read(name, offset, length);
  }
  uint64_t size(const std::string& name) const override { return inner_->size(name); }
  bool exists(const std::string& name) const override { return inner_->exists(name); }
  std::vector<std::string> list(const std::string& prefix) const override { return inner_->list(prefix); }
  void remove(const std::string& name) override {
    lock_.check_lock("removing object " + name);
    inner_->remove(name);
  }
  size_t remove_temporaries() override {
    lock_.check_lock("removing temporary objects");
    return inner_->remove_temporaries();
  }
  Traffic traffic() const override { return inner_->traffic(); }
  uint64_t request_cost_bytes() const override { return inner_->request_cost_bytes(); }

 private:
  std::unique_ptr<ObjectStore> inner_;
  const Repository& lock_;
};

RepositoryConfig read_config(const ObjectStore& objects, const RepositoryLocation& location) {
  const std::string origin =
      location.is_local() ? (location.folder() / kConfigObject).string() : location.display() + " " + kConfigObject;
  if (!objects.exists(kConfigObject)) {
    throw Error(ErrorKind::kUsage,
                fmt::format("{} is not a certvault repository (no config file)", location.display()));
  }
  const auto bytes = objects.read_all(kConfigObject);
  return RepositoryConfig::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), origin);
}

}  // namespace

namespace {

void prepare_local_folder(const std::filesystem::path& dir) {
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
}

RepositoryConfig new_config(const InitOptions& options) {
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
  return config;
}

}  // namespace

void Repository::init(const RepositoryLocation& location, const InitOptions& options) {
  std::unique_ptr<ObjectStore> objects;
  std::unique_ptr<RepositoryLock> lock;
  std::unique_ptr<ObjectLock> object_lock;
  if (location.is_local()) {
    const auto& dir = location.folder();
    prepare_local_folder(dir);
    // The catalog first, the config object last: a folder with a config is a
    // complete repository, so an interrupted init leaves no half repository.
    lock = RepositoryLock::acquire(dir, LockMode::kExclusive);
    objects = open_local_object_store(dir);
  } else {
    objects = location.open_objects();
    if (objects->exists(kConfigObject)) {
      throw Error(ErrorKind::kRefused, fmt::format("{} is already a certvault repository", location.display()));
    }
    if (const auto found = objects->list(""); !found.empty()) {
      throw Error(ErrorKind::kRefused,
                  fmt::format("{} is not empty ({} objects, e.g. {}) and not a repository; choose an empty bucket or "
                              "a new prefix",
                              location.display(), found.size(), found.front()));
    }
    // The catalog cache is built by the first open; a lock object keeps a racing init out.
    object_lock = ObjectLock::acquire(location.open_objects(), true, location.display(), {});
  }
  auto config = new_config(options);
  if (location.is_local()) {
    auto catalog = catalog::Catalog::open(catalog_path(location.folder()));
    copy_config_into_catalog(config, *catalog);
  }
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

namespace {

// Unseals an encrypted repository's objects (and says what an interrupted migration left).
void say_migration_state(bool encrypted, bool migration_unfinished, const ObjectStore& objects,
                         const std::string& repository, const std::function<void(const std::string&)>& warn) {
  if (!warn) return;
  if (encrypted && migration_unfinished) {
    warn(
        fmt::format("repository {} is encrypted, but `certvault migrate --encrypt` was interrupted before it "
                    "moved every encrypted object into place: they are read from {} meanwhile; run `certvault "
                    "migrate --encrypt` again (with the same passphrase or key file) to finish",
                    repository, migration::kStagingPrefix));
  } else if (!encrypted && migration::has_staged_objects(objects)) {
    warn(
        fmt::format("repository {} is still plaintext: `certvault migrate --encrypt` was interrupted before it "
                    "switched to encryption; its leftovers in {} are ignored, and discarded when it runs again",
                    repository, migration::kStagingPrefix));
  }
}

}  // namespace

Repository::Repository() : location_(std::filesystem::path()) {}

void Repository::open_catalog(const std::filesystem::path& path, const std::string& repair_advice) {
  try {
    catalog_ = catalog::Catalog::open(path);
    // Under the repository lock no other process writes the catalog: an exclusive holder is alone, and
    // readers only read. Opening read the catalog once already, rolling back any hot journal a crashed
    // writer left, so keeping the file locks from here on can block nobody who needs them.
    catalog_->keep_file_locks();
  } catch (const catalog::CatalogError& e) {
    // Busy (kLocked) or newer than this build (kRefused) is no damage: no rebuild would help.
    if (e.kind() == ErrorKind::kLocked || e.kind() == ErrorKind::kRefused) throw;
    throw Error(ErrorKind::kIntegrity, fmt::format("{}; if the catalog is damaged, {}", e.what(), repair_advice));
  }
}

std::unique_ptr<Repository> Repository::open(const RepositoryLocation& location, LockMode mode,
                                             const std::function<void(const std::string&)>& warn,
                                             const std::optional<Credentials>& credentials) {
  if (!location.is_local()) return open_remote(location, mode, warn, credentials, false, nullptr);
  const auto& dir = location.folder();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorKind::kUsage, fmt::format("repository {} does not exist or is not a folder", dir.string()));
  }
  std::unique_ptr<Repository> repository(new Repository());
  repository->location_ = location;
  repository->mode_ = mode;
  repository->root_ = dir;
  repository->objects_ = open_local_object_store(dir);
  repository->config_ = read_config(*repository->objects_, location);
  repository->lock_ = RepositoryLock::acquire(dir, mode, warn);
  bool migration_unfinished = false;
  if (repository->config_.encrypted()) {
    auto unlocked = unlock_objects(std::move(repository->objects_), repository->config_, credentials, os::display(dir));
    repository->objects_ = std::move(unlocked.objects);
    repository->master_key_ = std::move(unlocked.key);
    repository->opened_key_slot_ = std::move(unlocked.slot_id);
    migration_unfinished = unlocked.migration_unfinished;
  }
  say_migration_state(repository->config_.encrypted(), migration_unfinished, *repository->objects_, os::display(dir),
                      warn);
  if (mode != LockMode::kShared) {
    repository->objects_ = std::make_unique<LockCheckedObjectStore>(std::move(repository->objects_), *repository);
  }
  const auto advice = fmt::format("rebuild it with `certvault repair catalog --repo {}`", dir.string());
  if (!std::filesystem::exists(catalog_path(dir))) {
    throw Error(ErrorKind::kIntegrity, fmt::format("catalog {} is missing; {}", catalog_path(dir).string(), advice));
  }
  repository->open_catalog(catalog_path(dir), advice);
  const auto catalog_id = repository->catalog_->setting("repository-id");
  if (catalog_id != repository->config_.repository_id) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("catalog {} belongs to repository {}, but config says {}; {}", catalog_path(dir).string(),
                            catalog_id.value_or("(none)"), repository->config_.repository_id, advice));
  }
  require_catalog_agrees_with_config(repository->config_, *repository->catalog_, dir / kConfigObject);
  repository->dictionaries_ = std::make_unique<dictionary::DictionaryCache>(*repository->objects_);
  return repository;
}

std::unique_ptr<Repository> Repository::open_remote(const RepositoryLocation& location, LockMode mode,
                                                    const std::function<void(const std::string&)>& warn,
                                                    const std::optional<Credentials>& credentials, bool rebuild_cache,
                                                    RepairReport* rebuilt) {
  const auto display = location.display();
  std::unique_ptr<Repository> repository(new Repository());
  repository->location_ = location;
  repository->mode_ = mode;
  repository->objects_ = location.open_objects();
  repository->config_ = read_config(*repository->objects_, location);
  // The cache: one process at a time on this machine (its catalog has one writer), private.
  const auto cache = cache_folder(repository->config_.repository_id);
  for (const auto& folder : os::create_folders(cache, "create the catalog cache " + os::display(cache))) {
    os::file_system().make_private(folder, "create the catalog cache " + os::display(cache));
  }
  repository->root_ = cache;
  repository->lock_ = RepositoryLock::acquire(cache, LockMode::kExclusive, warn);
  // Among machines: exclusive only for what deletes or rewrites; backups share (lock.h).
  repository->object_lock_ = ObjectLock::acquire(location.open_objects(), mode == LockMode::kExclusive, display, warn);
  bool migration_unfinished = false;
  if (repository->config_.encrypted()) {
    auto unlocked = unlock_objects(std::move(repository->objects_), repository->config_, credentials, display);
    repository->objects_ = std::move(unlocked.objects);
    repository->master_key_ = std::move(unlocked.key);
    repository->opened_key_slot_ = std::move(unlocked.slot_id);
    migration_unfinished = unlocked.migration_unfinished;
  }
  say_migration_state(repository->config_.encrypted(), migration_unfinished, *repository->objects_, display, warn);
  if (mode != LockMode::kShared) {
    repository->objects_ = std::make_unique<LockCheckedObjectStore>(std::move(repository->objects_), *repository);
  }

  // The catalog is a cache of the objects (catalog_sync.h): built when missing, unreadable, of
  // another repository or disagreeing with the config, else brought up to date.
  const auto path = catalog_path(cache);
  const auto advice = fmt::format("rebuild it with `certvault repair catalog --repo {}`", display);
  std::string rebuild_why = rebuild_cache ? "" : "missing";
  if (!rebuild_cache && std::filesystem::exists(path)) {
    rebuild_why.clear();
    try {
      repository->open_catalog(path, advice);
      if (repository->catalog_->setting("repository-id") != repository->config_.repository_id) {
        rebuild_why = "it belongs to another repository";
      } else {
        require_catalog_agrees_with_config(repository->config_, *repository->catalog_, path);
      }
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kLocked) throw;
      rebuild_why = e.what();
    }
    if (rebuild_why.empty()) {
      const auto caught_up = catalog_sync::catch_up(*repository->objects_, repository->config_, *repository->catalog_);
      if (caught_up.rebuild) rebuild_why = caught_up.why;
      if (warn) {
        for (const auto& problem : caught_up.added.problems) warn(problem);
      }
    }
    if (!rebuild_why.empty()) {
      repository->catalog_.reset();
      if (warn) {
        warn(fmt::format("the catalog cache {} of repository {} is rebuilt from its objects: {}", os::display(path),
                         display, rebuild_why));
      }
    }
  }
  if (!repository->catalog_) {
    RepairReport report;
    catalog_sync::rebuild_catalog_file(*repository->objects_, repository->config_, path, rebuild_cache, {}, report);
    if (warn) {
      for (const auto& problem : report.problems) warn(problem);
    }
    if (rebuilt) *rebuilt = std::move(report);
    repository->open_catalog(path, advice);
  }
  repository->dictionaries_ = std::make_unique<dictionary::DictionaryCache>(*repository->objects_);
  return repository;
}

Repository::~Repository() = default;

void Repository::check_lock(const std::string& before) const {
  lock_->check_held(before);
  if (object_lock_) object_lock_->check_held(before);
}

bool Repository::is_repository(const RepositoryLocation& location) {
  if (!location.is_local()) return location.open_objects()->exists(kConfigObject);
  const auto config = os::file_system().status(location.folder() / kConfigObject, false);
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
