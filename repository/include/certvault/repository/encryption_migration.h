// `certvault migrate --encrypt`: converts a plaintext repository (format 1 or 2) in place into an
// encrypted one (format 3), crash-safely. docs/format.md §8.5 describes the states.
//
// Contract:
// - Takes the exclusive lock. Stage: a new master key, a key slot for `credentials`, every object
//   sealed under `migrating/<name>` (each read back and compared with the original), the encrypted
//   config as `migrating/config`; the catalog drops the settings that change. Commit point: the
//   encrypted config renamed over `config`. Finish: the catalog gets the new settings, every staged
//   object is renamed over its plaintext original, the emptied staging folders are removed.
// - A crash before the commit point leaves the plaintext repository (its staged leftovers are
//   ignored, and discarded by the next run, which starts over). A crash after it leaves an
//   encrypted repository that opens with the new key, for reading and writing alike (the staged
//   objects are read in place of the plaintext ones, a removal removes both names), until
//   `migrate --encrypt` runs again with that key and finishes.
// - An encrypted repository with nothing left to finish: Error(kRefused). No credentials for the
//   new key: Error(kUsage). Not a repository: Error(kUsage). A catalog missing or belonging to
//   another repository: Error(kIntegrity).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "certvault/repository/keys.h"

namespace certvault {

struct EncryptionMigrationOptions {
  // The first key slot's passphrase (else key file, created when absent); when finishing a
  // migration past its commit point, the credentials that open the slot it made.
  Credentials credentials;
  KdfParams kdf = default_kdf_params();
  std::function<void(const std::string&)> warn;      // taking over a dead process's lock, leftovers
  std::function<void(const std::string&)> progress;  // a line per tenth of the bytes sealed, and the switch
};

struct EncryptionMigrationReport {
  bool finished_earlier_run = false;   // an interrupted migration past its commit point was finished
  bool discarded_earlier_run = false;  // leftovers of one interrupted before it were discarded
  uint64_t objects_sealed = 0;         // by this run
  uint64_t bytes_sealed = 0;           // plaintext bytes of those objects
  uint64_t objects_moved = 0;          // staged objects renamed over their plaintext originals
  std::string key_slot;                // the slot this run created (empty when it finished an earlier one)
};

EncryptionMigrationReport encrypt_repository(const std::filesystem::path& dir,
                                             const EncryptionMigrationOptions& options);

}  // namespace certvault
