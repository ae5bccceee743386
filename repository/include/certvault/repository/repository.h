// A certvault repository: objects (config, packs, recipes, snapshot
// manifests) in a folder, indexed by the SQLite catalog.
//
// Contract:
// - init() creates a repository in an empty (or absent) folder with fresh
//   random secrets; it refuses a non-empty folder.
// - open() takes the repository lock (shared for readers, exclusive for
//   writers) for the Repository's lifetime and opens the catalog. A catalog
//   that is missing is reported with the advice to run `repair catalog`.
// - begin_snapshot() needs the exclusive lock. Snapshots become visible only
//   through SnapshotWriter::commit(); see snapshot_writer.h for the commit
//   protocol.
// - resolve() turns "latest", a full id or a unique id prefix into an id, or
//   throws Error(kUsage) saying what did not match.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/chunker/chunker.h"
#include "certvault/repository/keys.h"
#include "certvault/repository/location.h"
#include "certvault/repository/lock.h"
#include "certvault/repository/object_store.h"

namespace certvault {

namespace dictionary {
class DictionaryCache;
}
namespace crypto {
struct MasterKey;
}
class SnapshotWriter;
struct SnapshotHeader;
struct RepairReport;
class ObjectLock;

// Format 2 (issue 16) adds zstd dictionaries: version-2 packs whose entries name one, `dicts/`
// objects. A format-1 repository is read and written as format 1 (no dictionaries, version-1
// packs), so builds before issue 16 can still read it. Format 3 (issue 17) is format 2 encrypted:
// every object sealed, the config's secrets sealed, key slots (keys.h, docs/format.md §8).
// InitOptions creates format 2 unless it is given credentials (then 3); `certvault init`
// encrypts by default.
inline constexpr uint32_t kRepositoryFormatVersion = 3;  // the newest this build reads and writes
inline constexpr uint32_t kPlaintextFormatVersion = 2;
inline constexpr uint32_t kEncryptedFormatVersion = 3;
inline constexpr uint32_t kOldestRepositoryFormatVersion = 1;
inline constexpr size_t kChunkIdSecretSize = 192;

struct InitOptions {
  uint32_t chunk_avg = 8192;  // see docs/benchmarks.md for why
  int zstd_level = 3;
  uint64_t pack_target_bytes = 32ull << 20;
  uint32_t format_version = kPlaintextFormatVersion;  // 1 only for tests of format-1 repositories
  // Given: an encrypted repository (format 3) whose first key slot opens with these (the
  // passphrase, else the key file, which is created when absent), Argon2id costing `kdf`.
  std::optional<Credentials> encryption;
  KdfParams kdf = default_kdf_params();
};

struct RepositoryConfig {
  uint32_t format_version = kPlaintextFormatVersion;
  std::string repository_id;  // 32 hex digits
  int64_t created_unix = 0;
  chunker::Key chunker_key{};
  std::array<uint8_t, kChunkIdSecretSize> chunk_id_secret{};
  chunker::Params chunk_params{};
  int zstd_level = 3;
  uint64_t pack_target_bytes = 32ull << 20;
  // Whether the parsed text ended with its checksum line (config-xxh64, docs/format.md §2.1);
  // configs written before that line existed lack it. serialize() always writes it.
  bool checksummed = true;
  // Format 3 (docs/format.md §8.4): chunker_key and chunk_id_secret are stored sealed under the
  // master key (`secrets`, hex), the text before `config-mac` authenticated by it (hex). parse()
  // leaves both secrets zero until the repository is opened with its key.
  std::string sealed_secrets;
  std::string config_mac;
  size_t mac_covers = 0;  // parsed: bytes of the text the config-mac line covers
  std::string text;       // parsed: the whole text (format 3 only, for the MAC)
  bool encrypted() const { return format_version >= kEncryptedFormatVersion; }

  std::string serialize() const;  // the human-readable `config` object
  // Throws Error(kIntegrity) naming `origin` for any damage: a checksum that does not match, a
  // checksum line that is not the last line, a key given twice, a missing or malformed value.
  static RepositoryConfig parse(std::string_view text, const std::string& origin);
};

class Repository {
 public:
  // A remote location (location.h) must hold no object yet; its catalog cache is built on first open.
  static void init(const RepositoryLocation& location, const InitOptions& options);
  // An encrypted repository opens with `credentials`, or without them with
  // Credentials::from_environment(); see keys.h. A remote repository's catalog cache is brought up to
  // date from the objects (catalog_sync.h); `warn` hears when it had to be rebuilt.
  static std::unique_ptr<Repository> open(const RepositoryLocation& location, LockMode mode,
                                          const std::function<void(const std::string&)>& warn = {},
                                          const std::optional<Credentials>& credentials = std::nullopt);
  ~Repository();

  // The local folder: the repository's own, or a remote repository's cache folder (location.h).
  // Export records and free-space checks live there.
  const std::filesystem::path& root() const { return root_; }
  const RepositoryLocation& location() const { return location_; }
  // What messages call the repository: its folder, or its remote location as given.
  std::string display_name() const { return location_.display(); }
  const RepositoryConfig& config() const { return config_; }
  catalog::Catalog& catalog() { return *catalog_; }
  const catalog::Catalog& catalog() const { return *catalog_; }
  ObjectStore& objects() { return *objects_; }
  // Whether new chunks may be compressed with dictionaries (format 2 and later).
  bool uses_dictionaries() const { return config_.format_version >= 2; }
  // The dictionaries readers decompress with, loaded on first use (thread-safe).
  dictionary::DictionaryCache& dictionaries() const { return *dictionaries_; }
  LockMode lock_mode() const { return mode_; }
  bool encrypted() const { return config_.encrypted(); }
  // Encrypted repositories: the slot the key came from, and the key (null when not encrypted).
  const std::string& opened_key_slot() const { return opened_key_slot_; }
  const std::shared_ptr<const crypto::MasterKey>& master_key() const { return master_key_; }
  // Throws Error(kLocked) unless REPO/lock still names the file whose lock this repository holds
  // (RepositoryLock::check_held); called before each commit. Removals of objects check it
  // themselves in a repository opened for writing.
  void check_lock(const std::string& before) const;
  // True when the location holds a repository's config object (`init` completed).
  static bool is_repository(const RepositoryLocation& location);

  std::unique_ptr<SnapshotWriter> begin_snapshot(const SnapshotHeader& header);
  std::string resolve(std::string_view spec, const catalog::SnapshotFilter& scope = {}) const;

  static std::filesystem::path catalog_path(const std::filesystem::path& dir) { return dir / "catalog.db"; }

 private:
  Repository();
  friend class RepositoryRepair;
  friend RepairReport repair_catalog(const RepositoryLocation&, const std::optional<Credentials>&);
  static std::unique_ptr<Repository> open_remote(const RepositoryLocation& location, LockMode mode,
                                                 const std::function<void(const std::string&)>& warn,
                                                 const std::optional<Credentials>& credentials, bool rebuild_cache,
                                                 RepairReport* rebuilt);
  void open_catalog(const std::filesystem::path& path, const std::string& repair_advice);
  RepositoryLocation location_;
  LockMode mode_ = LockMode::kShared;
  std::unique_ptr<ObjectLock> object_lock_;  // remote repositories: the lock object (lock_: the cache's)
  std::filesystem::path root_;
  RepositoryConfig config_;
  std::unique_ptr<RepositoryLock> lock_;
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<dictionary::DictionaryCache> dictionaries_;
  std::shared_ptr<const crypto::MasterKey> master_key_;
  std::string opened_key_slot_;
};

}  // namespace certvault
