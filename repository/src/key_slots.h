// Key slots (docs/format.md §8.2), for Repository::init/open, repair and the key commands.
#pragma once

#include <memory>
#include <string>

#include "certvault/repository/keys.h"
#include "certvault/repository/object_store.h"
#include "certvault/repository/repository.h"
#include "crypto.h"

namespace certvault::key_slots {

// The Argon2id cost a passphrase slot may record (docs/format.md §8.2). Anyone who can write to
// keys/ can also set a slot's opslimit and memlimit (its checksum is unkeyed), and opening tries
// every slot: these bounds keep a tampered slot from making a command allocate gigabytes or run
// for minutes before its passphrase is even tried. The ceiling is libsodium's costliest preset,
// crypto_pwhash_*_SENSITIVE (4 passes over 1 GiB), 16 times the work of the default (2 passes
// over 128 MiB, default_kdf_params()); time grows with passes times memory, so that product is
// bounded too (64 passes are allowed only over 64 MiB). Slots are created only with the default
// or the tests' minimum, both far inside.
inline constexpr uint64_t kMaxOpslimit = 64;
inline constexpr uint64_t kMaxMemlimit = uint64_t{1} << 30;
inline constexpr uint64_t kMaxOpslimitTimesMemlimit = uint64_t{4} << 30;
// Whether a slot may record (and create() may write) this cost: within libsodium's minimums and
// the bounds above.
bool acceptable_kdf_cost(uint64_t opslimit, uint64_t memlimit);

struct Opened {
  std::shared_ptr<const crypto::MasterKey> key;
  std::string slot_id;
};

// Writes a new slot wrapping `key` for the passphrase (else the key file, created when absent)
// of `credentials`; returns its id.
std::string create(ObjectStore& objects, const crypto::MasterKey& key, const Credentials& credentials,
                   const KdfParams& params);
// Tries the slots of the credential's kind; Error(kKeyRejected) naming them when none opens,
// Error(kUsage) when no credential was given, Error(kIntegrity) when no slot is readable.
Opened open(const ObjectStore& objects, const std::string& repository_id, const Credentials& credentials,
            const std::string& repository_display);

std::vector<KeySlotInfo> list(const ObjectStore& objects, const std::string& current);

}  // namespace certvault::key_slots

namespace certvault {

struct UnlockedObjects {
  std::unique_ptr<ObjectStore> objects;  // sealing, for an encrypted repository; `local` otherwise
  std::shared_ptr<const crypto::MasterKey> key;
  std::string slot_id;
  // A `migrate --encrypt` past its commit point is unfinished: `objects` reads the staged
  // objects in place of the plaintext ones they replace (migration_staging.h).
  bool migration_unfinished = false;
};

// For an encrypted `config` (parsed from `dir`'s config object): opens a key slot with
// `credentials` (none given: Credentials::from_environment()), checks the config's MAC and
// decrypts its secrets into `config`, and wraps `local` in the sealing store (over the staged
// objects of an unfinished migration, when there are some).
UnlockedObjects unlock_objects(std::unique_ptr<ObjectStore> local, RepositoryConfig& config,
                               const std::optional<Credentials>& credentials, const std::string& repository);

}  // namespace certvault
