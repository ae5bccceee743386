// Key slots (docs/format.md §8.2), for Repository::init/open, repair and the key commands.
#pragma once

#include <memory>
#include <string>

#include "certvault/repository/keys.h"
#include "certvault/repository/object_store.h"
#include "certvault/repository/repository.h"
#include "crypto.h"

namespace certvault::key_slots {

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
