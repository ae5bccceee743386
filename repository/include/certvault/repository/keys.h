// The keys of an encrypted repository (format 3, docs/format.md §8): credentials, key files and
// key slots.
//
// Contract:
// - The master key is random; it is stored only wrapped, in key slots `keys/<16 hex>`, each
//   opened by a passphrase (Argon2id through crypto_pwhash, parameters recorded in the slot) or
//   by a key file (32 random bytes, written as 64 hex digits). A slot's wrapping binds the slot
//   id and the repository id, so a slot copied from another repository or renamed never opens.
// - Opening tries every slot of the credential's kind. None opens: Error(kKeyRejected) naming the
//   slots tried. A slot whose bytes were changed is reported as damaged (kIntegrity) when its
//   checksum fails, as rejected otherwise (an attacker can recompute the checksum, not the tag).
// - The last slot can never be removed (kRefused).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace certvault {

class Repository;

// Argon2id's cost: crypto_pwhash opslimit and memlimit (bytes).
struct KdfParams {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
};
// Opslimit 2, memlimit 128 MiB: about 0.5 s here (docs/design.md, "Argon2id cost"). With
// CERTVAULT_TEST_KDF=fast in the environment: libsodium's minimum (for tests only: such a slot
// is cheap to attack).
KdfParams default_kdf_params();

struct Credentials {
  std::optional<std::string> passphrase;
  std::optional<std::filesystem::path> key_file;
  // A key file created for a new slot is sealed with Windows DPAPI for the account running this
  // process (create_key_file); Error(kUsage) where there is no DPAPI.
  bool protect_new_key_file_with_dpapi = false;
  std::string passphrase_origin;  // for messages: "CERTVAULT_PASSWORD", "--password-file F", "the prompt"
  // Asked for a passphrase when neither is given and a key is needed (the CLI's prompt on a TTY).
  std::function<std::string()> prompt;

  bool empty() const { return !passphrase && !key_file && !prompt; }
  // CERTVAULT_PASSWORD_FILE (the file's first line), else CERTVAULT_PASSWORD; CERTVAULT_KEY_FILE.
  static Credentials from_environment();
  // The first line of `path` (without its line end): Error(kUsage) if it cannot be read or is empty.
  static std::string read_passphrase_file(const std::filesystem::path& path);
};

// Creates a key file (32 random bytes as 64 hex digits and a newline, mode 0600); refuses an
// existing file (kRefused). With `protect_with_dpapi` the bytes are sealed with Windows DPAPI for
// the account running this process (docs/format.md §8.2): only that account on this machine
// opens the file. A key file of either form is read wherever a key file is accepted.
void create_key_file(const std::filesystem::path& path, bool protect_with_dpapi = false);

struct KeySlotInfo {
  std::string id;    // 16 hex digits
  std::string kind;  // "passphrase" or "key-file"
  uint64_t opslimit = 0, memlimit = 0;
  int64_t created_unix = 0;
  bool current = false;  // the slot this repository was opened with
  std::string damage;    // why the slot cannot be used (its other fields then unknown); empty when intact
};

std::vector<KeySlotInfo> list_key_slots(const Repository& repository);
// Adds a slot for `credentials` (its passphrase, else its key file, created when absent); returns
// its id. Needs an encrypted repository opened with its key, for writing.
std::string add_key_slot(Repository& repository, const Credentials& credentials, const KdfParams& params);
// Removes slot `id` (a unique prefix will do), damaged or not; refuses to remove the last intact one.
void remove_key_slot(Repository& repository, const std::string& id);

}  // namespace certvault
