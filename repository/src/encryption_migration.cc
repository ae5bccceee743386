#include "certvault/repository/encryption_migration.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "certvault/base/byte_count_text.h"
#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/repository.h"
#include "config_format.h"
#include "config_sealing.h"
#include "config_settings.h"
#include "crypto.h"
#include "key_slots.h"
#include "migration_staging.h"
#include "sealed_object_store.h"

namespace certvault {
namespace {

namespace fs = std::filesystem;

// The folders of every object a format-3 repository stores sealed (docs/format.md §1, §8.3). The
// config and key slots protect themselves; catalog.db, lock and exports/ are no objects.
constexpr std::array<const char*, 6> kSealedFolders = {"packs/", "recipes/",     "snapshots/",
                                                       "dicts/", "truncations/", "outcomes/"};
// Bytes copied (and compared) per step: a pack of any size streams through a bounded buffer.
constexpr uint64_t kCopyStep = 4u << 20;

// The settings whose catalog copy differs between the plaintext and the encrypted config. Removed
// before the commit point and written after it, so that the catalog agrees with either config
// (the open compares only the settings the catalog has).
const std::array<const char*, 4> kChangingSettings = {config_format::kFormatVersion, config_format::kChunkerKey,
                                                      config_format::kChunkIdSecret,
                                                      config_format::kConfigChecksumSetting};

// Seals `name` from `plain` into `sealed`, then reads the sealed copy back and compares it with the
// original: the plaintext is deleted later, so a copy that does not read back must stop the
// migration now. Returns the object's size.
uint64_t seal_copy(const ObjectStore& plain, ObjectStore& sealed, const std::string& name) {
  const uint64_t size = plain.size(name);
  // No plaintext object starts with the sealed magic (packs start with CVPK, framed objects with
  // their own magic): one that does was sealed already, and sealing it again would lose it.
  if (size >= crypto_format::kSealedMagic.size() &&
      plain.read(name, 0, crypto_format::kSealedMagic.size()) ==
          std::vector<uint8_t>(crypto_format::kSealedMagic.begin(), crypto_format::kSealedMagic.end())) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{} is already encrypted (it starts with '{}') although the config says the repository "
                            "is plaintext; nothing was switched",
                            name, crypto_format::kSealedMagic));
  }
  auto writer = sealed.create(name);
  for (uint64_t at = 0; at < size; at += kCopyStep) {
    writer->append(plain.read(name, at, std::min(kCopyStep, size - at)));
  }
  writer->commit();
  if (sealed.size(name) != size) {
    throw Error(ErrorKind::kIntegrity, fmt::format("the encrypted copy of {} holds {} bytes, the original {}; nothing "
                                                   "was switched, the repository is still plaintext",
                                                   name, sealed.size(name), size));
  }
  for (uint64_t at = 0; at < size; at += kCopyStep) {
    const uint64_t length = std::min(kCopyStep, size - at);
    if (sealed.read(name, at, length) != plain.read(name, at, length)) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("the encrypted copy of {} does not read back as the original (bytes {}..{}); nothing "
                              "was switched, the repository is still plaintext",
                              name, at, at + length));
    }
  }
  return size;
}

// After the commit point: the catalog gets the encrypted config's settings, then every staged
// object (key slots first, so that the keys/ folder is whole soonest) replaces its original.
uint64_t finish(const fs::path& dir, ObjectStore& local, Repository& repository, const RepositoryConfig& encrypted) {
  copy_config_into_catalog(encrypted, repository.catalog());
  auto staged = migration::staging_area(local)->list("");
  std::stable_partition(staged.begin(), staged.end(), [](const std::string& name) { return is_unsealed_object(name); });
  for (const auto& name : staged) {
    repository.check_lock("moving the encrypted object " + name + " into place");
    migration::move_into_place(dir, name);
  }
  migration::remove_staging_folders(dir);
  return staged.size();
}

// Repository::open reads the config before it takes the lock (without waiting): another migration
// that finished in between would leave this one believing the repository plaintext, and sealing
// sealed objects a second time. Under the lock, the config on disk is what counts.
void require_config_unchanged_since_open(const ObjectStore& local, const Repository& repository) {
  const auto bytes = local.read_all(config_format::kObjectName);
  const auto on_disk =
      RepositoryConfig::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                              os::display(repository.root() / config_format::kObjectName));
  if (on_disk.format_version != repository.config().format_version) {
    throw Error(
        ErrorKind::kLocked,
        fmt::format("repository {} changed while it was being opened (its config went from format {} to "
                    "{}: another `migrate --encrypt` finished meanwhile); nothing was changed, run the "
                    "command again",
                    os::display(repository.root()), repository.config().format_version, on_disk.format_version));
  }
}

struct PlainObject {
  std::string name;
  uint64_t size = 0;
};

// Removes what an earlier run staged (it was sealed under a key that run made and this one does not
// reuse); true if there was something.
bool discard_staged(const fs::path& dir, ObjectStore& objects) {
  const auto staging = migration::staging_area(objects);
  const auto names = staging->list("");
  for (const auto& name : names) staging->remove(name);
  migration::remove_staging_folders(dir);
  return !names.empty();
}

// The sealed copies live beside the originals until the commit point: refuse up front, rather than
// fill the volume, when they cannot fit (a volume that cannot tell its free space is not checked).
void require_space_for_sealed_copies(const fs::path& dir, const std::vector<PlainObject>& plain) {
  const auto free = os::file_system().free_space(dir);
  if (!free) return;
  constexpr uint64_t kBlock = crypto_format::kSealedBlockSize;
  // Key slot, config, folders and the catalog's journal fit in the margin.
  uint64_t needed = 1u << 20;
  for (const auto& [name, size] : plain) {
    const uint64_t blocks = std::max<uint64_t>(1, (size + kBlock - 1) / kBlock);
    needed += crypto_format::kSealedHeaderSize + size + blocks * crypto_format::kTagSize;
  }
  if (*free < needed) {
    throw Error(ErrorKind::kFailure,
                fmt::format("migrate --encrypt needs {} free on the volume of {} for an encrypted copy of every object "
                            "(the plaintext ones are removed only after the switch), but {} is free; nothing was "
                            "changed",
                            byte_count_text(needed), os::display(dir), byte_count_text(*free)));
  }
}

// Before the commit point: the key slot, every object sealed and read back, the encrypted config
// (into `encrypted`), all under migrating/; then the catalog drops the settings that change.
void stage(Repository& repository, const EncryptionMigrationOptions& options, const std::vector<PlainObject>& plain,
           RepositoryConfig& encrypted, EncryptionMigrationReport& report) {
  auto& objects = repository.objects();
  const auto staging = migration::staging_area(objects);
  const auto key = crypto::new_master_key(repository.config().repository_id);
  report.key_slot = key_slots::create(*staging, *key, options.credentials, options.kdf);
  const auto sealed = seal_object_store(migration::staging_area(objects), key);
  uint64_t total = 0;
  for (const auto& object : plain) total += object.size;
  uint64_t next_report = total / 10;
  for (const auto& [name, size] : plain) {
    report.bytes_sealed += seal_copy(objects, *sealed, name);
    ++report.objects_sealed;
    if (options.progress && (report.bytes_sealed >= next_report || report.objects_sealed == plain.size())) {
      options.progress(fmt::format("sealed {} of {} objects ({} of {})", report.objects_sealed, plain.size(),
                                   byte_count_text(report.bytes_sealed), byte_count_text(total)));
      next_report = report.bytes_sealed + total / 10;
    }
  }
  encrypted.format_version = kEncryptedFormatVersion;
  encrypted.checksummed = true;
  staging->put(config_format::kObjectName, crypto::bytes_of(seal_config(encrypted, *key)));
  for (const char* setting : kChangingSettings) repository.catalog().remove_setting(setting);
}

}  // namespace

EncryptionMigrationReport encrypt_repository(const fs::path& dir, const EncryptionMigrationOptions& options) {
  if (!Repository::is_repository(dir)) {
    throw Error(ErrorKind::kUsage, fmt::format("{} is not a certvault repository (no config file)", os::display(dir)));
  }
  EncryptionMigrationReport report;
  // An encrypted repository opens with the credentials (to finish an interrupted migration); a
  // plaintext one ignores them here.
  auto repository = Repository::open(dir, LockMode::kExclusive, options.warn, options.credentials);
  auto local = open_local_object_store(dir);
  require_config_unchanged_since_open(*local, *repository);

  if (repository->encrypted()) {
    if (!migration::has_staged_objects(*local)) {
      // A run cut off while it removed the emptied staging folders finished all else.
      migration::remove_staging_folders(dir);
      throw Error(ErrorKind::kRefused,
                  fmt::format("repository {} is already encrypted (format {}): there is nothing to migrate "
                              "(`certvault key add` adds a passphrase or key file)",
                              os::display(dir), repository->config().format_version));
    }
    report.finished_earlier_run = true;
    report.objects_moved = finish(dir, *local, *repository, repository->config());
    return report;
  }

  const auto& credentials = options.credentials;
  if (!credentials.passphrase && !credentials.key_file) {
    throw Error(ErrorKind::kUsage,
                "migrate --encrypt needs the new key: a passphrase (--password-file, CERTVAULT_PASSWORD_FILE, "
                "CERTVAULT_PASSWORD, or typed on a terminal) or a key file (--key-file, created when absent)");
  }
  auto& objects = repository->objects();  // the plaintext folder store, lock-checked
  objects.remove_temporaries();
  report.discarded_earlier_run = discard_staged(dir, objects);
  std::vector<PlainObject> plain;
  for (const char* folder : kSealedFolders) {
    for (auto& name : objects.list(folder)) plain.push_back({name, objects.size(name)});
  }
  require_space_for_sealed_copies(dir, plain);

  RepositoryConfig encrypted = repository->config();
  try {
    stage(*repository, options, plain, encrypted, report);
  } catch (const Error&) {
    // Before the commit point nothing was switched: the copies are only in the way (and take space).
    try {
      discard_staged(dir, objects);
    } catch (const Error&) {
      // The next run discards them (and the repository is plaintext whatever is left).
    }
    throw;
  }

  // The commit point: the encrypted config replaces the plaintext one in one rename.
  repository->check_lock("switching the config to the encrypted one");
  migration::move_into_place(dir, config_format::kObjectName);
  if (options.progress) options.progress("switched to the encrypted config; replacing the plaintext objects");

  report.objects_moved = 1 + finish(dir, *local, *repository, encrypted);
  return report;
}

}  // namespace certvault
