#include "key_slots.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "certvault/base/account_protection.h"
#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/little_endian.h"
#include "certvault/base/os_file.h"
#include "config_format.h"
#include "config_sealing.h"
#include "migration_staging.h"
#include "sealed_object_store.h"

namespace certvault {
namespace {

using namespace crypto_format;

// Measured on the development machine (docs/design.md, "Argon2id cost"): 0.63-0.79 s under a
// load of 6-8 on 2 cores (less when idle); at most 128 MiB.
constexpr uint64_t kDefaultOpslimit = 2;
constexpr uint64_t kDefaultMemlimit = 128ull << 20;

std::string slot_name(const std::string& id) { return std::string(kSlotPrefix) + id; }

std::vector<uint8_t> slot_ad(const std::string& id, const std::string& repository_id, std::span<const uint8_t> slot) {
  return crypto::concat({crypto::bytes_of(kSlotLabel), crypto::kZeroByte, crypto::bytes_of(id),
                         crypto::bytes_of(repository_id), slot.first(kSlotAuthenticatedHeader)});
}

std::array<uint8_t, 32> key_file_bytes(const std::filesystem::path& path) {
  os::File file;
  std::string reason;
  if (!os::File::try_open(path, os::OpenFor::kRead, "read key file", file, reason)) {
    throw Error(ErrorKind::kUsage, fmt::format("key file {} cannot be read: {}", os::display(path), reason));
  }
  // A DPAPI blob of 32 bytes is about 250 bytes; anything near this bound is not a key file.
  std::array<uint8_t, 4096> text{};
  const size_t n = file.read(text);
  std::string_view content(reinterpret_cast<const char*>(text.data()), n);
  auto trim = [](std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    return line;
  };
  const std::string what = "key file " + os::display(path);
  std::array<uint8_t, 32> key{};
  if (content.starts_with(kDpapiKeyFileHeader)) {
    std::string_view hex = content.substr(kDpapiKeyFileHeader.size());
    while (!hex.empty() && (hex.front() == '\r' || hex.front() == '\n')) hex.remove_prefix(1);
    hex = trim(hex);
    if (hex.empty() || hex.size() % 2 != 0 || n == text.size()) {
      throw Error(ErrorKind::kUsage, fmt::format("{} is damaged: a DPAPI key file holds one line of hex after its "
                                                 "header",
                                                 what));
    }
    std::vector<uint8_t> sealed(hex.size() / 2);
    from_hex_exact(hex, sealed, what);
    auto opened = os::unprotect_for_this_account(sealed, kDpapiKeyFilePurpose, what);
    if (opened.size() != key.size()) {
      sodium_memzero(opened.data(), opened.size());
      throw Error(ErrorKind::kUsage,
                  fmt::format("{} opened with DPAPI to {} bytes, not the 32 of a key", what, opened.size()));
    }
    std::memcpy(key.data(), opened.data(), key.size());
    sodium_memzero(opened.data(), opened.size());
    return key;
  }
  const std::string_view hex = trim(content);
  if (hex.size() != 64) {
    throw Error(ErrorKind::kUsage, fmt::format("{} is not a certvault key file (64 hex digits, or a DPAPI key file, "
                                               "expected; found {} bytes)",
                                               what, n));
  }
  from_hex_exact(hex, key, what);
  return key;
}

// The wrapping key of a slot: Argon2id of the passphrase, or keyed BLAKE2b of the salt with the key file.
bool wrapping_key(uint32_t kind, std::span<const uint8_t> slot, const std::string& passphrase,
                  const std::array<uint8_t, 32>& file_key, crypto::Key& out) {
  const auto salt = slot.subspan(kSlotSaltAt, crypto_pwhash_SALTBYTES);
  if (kind == kSlotKindPassphrase) {
    return crypto_pwhash(out.data(), out.size(), passphrase.data(), passphrase.size(), salt.data(),
                         le::load<uint64_t>(slot, kSlotOpslimitAt), le::load<uint64_t>(slot, kSlotMemlimitAt),
                         crypto_pwhash_ALG_ARGON2ID13) == 0;
  }
  const auto message = crypto::concat({crypto::bytes_of(kKeyFileLabel), salt});
  crypto_generichash(out.data(), out.size(), message.data(), message.size(), file_key.data(), file_key.size());
  return true;
}

struct Slot {
  std::string id;
  std::vector<uint8_t> bytes;
  uint32_t kind = 0;
};

// Reads and checks a slot's structure; throws Error(kIntegrity) naming it when damaged.
Slot read_slot(const ObjectStore& objects, const std::string& name) {
  Slot slot;
  slot.id = name.substr(kSlotPrefix.size());
  if (slot.id.size() != kSlotIdDigits || slot.id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw Error(ErrorKind::kIntegrity, fmt::format("key slot {}: the name is not keys/<16 hex digits>", name));
  }
  slot.bytes = objects.read_all(name);
  const auto& b = slot.bytes;
  if (b.size() != kSlotSize) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("key slot {} is damaged: {} bytes instead of {}", name, b.size(), kSlotSize));
  }
  const auto check = crypto::digest(std::span(b).first(kSlotChecksumAt), 16);
  if (std::memcmp(check.data(), b.data() + kSlotChecksumAt, 16) != 0) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("key slot {} is damaged or was tampered with: its checksum (bytes {}..{}) does not "
                            "match its contents",
                            name, kSlotChecksumAt, kSlotSize));
  }
  slot.kind = le::load<uint32_t>(b, kSlotKindAt);
  const auto version = le::load<uint32_t>(b, kSlotVersionAt);
  if (std::memcmp(b.data(), kSlotMagic.data(), kSlotMagic.size()) != 0 || version != kSlotVersion ||
      (slot.kind != kSlotKindPassphrase && slot.kind != kSlotKindKeyFile)) {
    throw Error(ErrorKind::kIntegrity, fmt::format("key slot {} is not a version-{} key slot (magic, version {} or "
                                                   "kind {} unknown)",
                                                   name, kSlotVersion, version, slot.kind));
  }
  if (slot.kind == kSlotKindPassphrase) {
    const auto ops = le::load<uint64_t>(b, kSlotOpslimitAt), mem = le::load<uint64_t>(b, kSlotMemlimitAt);
    if (le::load<uint32_t>(b, kSlotAlgorithmAt) != crypto_pwhash_ALG_ARGON2ID13 ||
        !key_slots::acceptable_kdf_cost(ops, mem)) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("key slot {} records Argon2id parameters this build refuses (opslimit {}, memlimit {} "
                              "bytes; at most opslimit {}, memlimit {} bytes, and opslimit x memlimit {})",
                              name, ops, mem, key_slots::kMaxOpslimit, key_slots::kMaxMemlimit,
                              key_slots::kMaxOpslimitTimesMemlimit));
    }
  }
  return slot;
}

}  // namespace

KdfParams default_kdf_params() {
  const char* test = std::getenv("CERTVAULT_TEST_KDF");
  if (test != nullptr && std::string_view(test) == "fast") {
    return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  }
  return {kDefaultOpslimit, kDefaultMemlimit};
}

std::string Credentials::read_passphrase_file(const std::filesystem::path& path) {
  os::File file;
  std::string reason;
  if (!os::File::try_open(path, os::OpenFor::kRead, "read password file", file, reason)) {
    throw Error(ErrorKind::kUsage, fmt::format("password file {} cannot be read: {}", os::display(path), reason));
  }
  std::string text;
  std::array<uint8_t, 4096> buffer;
  for (size_t n; (n = file.read(buffer)) > 0 && text.size() < (1u << 20);)
    text.append(buffer.begin(), buffer.begin() + n);
  const auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  if (text.empty()) {
    throw Error(ErrorKind::kUsage, fmt::format("password file {}: its first line is empty", os::display(path)));
  }
  return text;
}

Credentials Credentials::from_environment() {
  Credentials credentials;
  if (const char* file = std::getenv("CERTVAULT_PASSWORD_FILE"); file != nullptr && *file != '\0') {
    credentials.passphrase = read_passphrase_file(os::path_from_utf8(file));
    credentials.passphrase_origin = fmt::format("CERTVAULT_PASSWORD_FILE ({})", file);
  } else if (const char* text = std::getenv("CERTVAULT_PASSWORD"); text != nullptr && *text != '\0') {
    credentials.passphrase = text;
    credentials.passphrase_origin = "CERTVAULT_PASSWORD";
  }
  if (const char* file = std::getenv("CERTVAULT_KEY_FILE"); file != nullptr && *file != '\0') {
    credentials.key_file = os::path_from_utf8(file);
  }
  return credentials;
}

void create_key_file(const std::filesystem::path& path, bool protect_with_dpapi) {
  crypto::require_sodium();
  std::array<uint8_t, 32> key;
  randombytes_buf(key.data(), key.size());
  std::string text;
  if (protect_with_dpapi) {
    try {
      text = std::string(kDpapiKeyFileHeader) + "\n" + to_hex(os::protect_for_this_account(key, kDpapiKeyFilePurpose)) +
             "\n";
    } catch (...) {
      sodium_memzero(key.data(), key.size());
      throw;
    }
  } else {
    text = to_hex(key) + "\n";
  }
  sodium_memzero(key.data(), key.size());
  os::File file;
  std::string reason;
  if (!os::File::try_open(path, os::OpenFor::kCreateNew, "create key file", file, reason)) {
    throw Error(ErrorKind::kRefused, fmt::format("key file {} cannot be created: {}", os::display(path), reason));
  }
  file.write_all(crypto::bytes_of(text));
  file.sync();
  file.close();
  os::file_system().make_private(path, "create key file " + os::display(path));
}

namespace key_slots {

bool acceptable_kdf_cost(uint64_t opslimit, uint64_t memlimit) {
  return opslimit >= crypto_pwhash_OPSLIMIT_MIN && opslimit <= kMaxOpslimit && memlimit >= crypto_pwhash_MEMLIMIT_MIN &&
         memlimit <= kMaxMemlimit && opslimit * memlimit <= kMaxOpslimitTimesMemlimit;  // no overflow: both bounded
}

std::string create(ObjectStore& objects, const crypto::MasterKey& key, const Credentials& credentials,
                   const KdfParams& params) {
  crypto::require_sodium();
  std::optional<std::string> passphrase = credentials.passphrase;
  if (!passphrase && !credentials.key_file && credentials.prompt) passphrase = credentials.prompt();
  if (!passphrase && !credentials.key_file) {
    throw Error(ErrorKind::kUsage, "a new key slot needs a passphrase or a key file");
  }
  if (passphrase && passphrase->empty()) throw Error(ErrorKind::kUsage, "the passphrase is empty");
  if (passphrase && !acceptable_kdf_cost(params.opslimit, params.memlimit)) {
    // A slot every reader would refuse (read_slot) is never written.
    throw Error(ErrorKind::kUsage, fmt::format("Argon2id opslimit {} and memlimit {} bytes are beyond what a key slot "
                                               "may record (docs/format.md §8.2)",
                                               params.opslimit, params.memlimit));
  }
  std::array<uint8_t, 32> file_key{};
  if (!passphrase) {
    if (!std::filesystem::exists(*credentials.key_file)) {
      create_key_file(*credentials.key_file, credentials.protect_new_key_file_with_dpapi);
    } else if (credentials.protect_new_key_file_with_dpapi) {
      throw Error(ErrorKind::kRefused, fmt::format("--dpapi protects a key file certvault creates; {} exists already",
                                                   os::display(*credentials.key_file)));
    }
    file_key = key_file_bytes(*credentials.key_file);
  }
  std::array<uint8_t, 8> id_bytes;
  randombytes_buf(id_bytes.data(), id_bytes.size());
  const std::string id = to_hex(id_bytes);
  std::vector<uint8_t> slot(kSlotSize, 0);
  std::memcpy(slot.data(), kSlotMagic.data(), kSlotMagic.size());
  le::store<uint32_t>(slot, kSlotVersionAt, kSlotVersion);
  const uint32_t kind = passphrase ? kSlotKindPassphrase : kSlotKindKeyFile;
  le::store<uint32_t>(slot, kSlotKindAt, kind);
  if (passphrase) {
    le::store<uint32_t>(slot, kSlotAlgorithmAt, crypto_pwhash_ALG_ARGON2ID13);
    le::store<uint64_t>(slot, kSlotOpslimitAt, params.opslimit);
    le::store<uint64_t>(slot, kSlotMemlimitAt, params.memlimit);
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  le::store<uint64_t>(slot, kSlotCreatedAt, static_cast<uint64_t>(now));
  randombytes_buf(slot.data() + kSlotSaltAt, crypto_pwhash_SALTBYTES);
  randombytes_buf(slot.data() + kSlotNonceAt, 24);
  crypto::Key wrapping;
  if (!wrapping_key(kind, slot, passphrase.value_or(""), file_key, wrapping)) {
    throw Error(ErrorKind::kFailure, fmt::format("Argon2id with opslimit {} and memlimit {} bytes failed (out of "
                                                 "memory?)",
                                                 params.opslimit, params.memlimit));
  }
  const auto wrapped = crypto::seal(key.master, slot_ad(id, key.repository_id, slot),
                                    std::span(slot).subspan(kSlotNonceAt, 24), wrapping);
  sodium_memzero(wrapping.data(), wrapping.size());
  sodium_memzero(file_key.data(), file_key.size());
  std::memcpy(slot.data() + kSlotWrappedAt, wrapped.data(), wrapped.size());
  const auto check = crypto::digest(std::span(slot).first(kSlotChecksumAt), 16);
  std::memcpy(slot.data() + kSlotChecksumAt, check.data(), check.size());
  objects.put(slot_name(id), slot);
  return id;
}

Opened open(const ObjectStore& objects, const std::string& repository_id, const Credentials& given,
            const std::string& repository_display) {
  crypto::require_sodium();
  std::vector<Slot> slots;
  std::vector<std::string> damaged;
  for (const auto& name : objects.list(std::string(kSlotPrefix))) {
    try {
      slots.push_back(read_slot(objects, name));
    } catch (const Error& e) {
      damaged.push_back(e.what());
    }
  }
  if (slots.empty()) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("encrypted repository {} has no readable key slot{}{}", repository_display,
                            damaged.empty() ? " (keys/ is empty or missing)" : ": ", fmt::join(damaged, "; ")));
  }
  Credentials credentials = given;
  const bool has_passphrase_slot =
      std::any_of(slots.begin(), slots.end(), [](const Slot& s) { return s.kind == kSlotKindPassphrase; });
  if (!credentials.passphrase && !credentials.key_file && credentials.prompt && has_passphrase_slot) {
    credentials.passphrase = credentials.prompt();
    credentials.passphrase_origin = "the passphrase typed";
  }
  if (!credentials.passphrase && !credentials.key_file) {
    throw Error(ErrorKind::kKeyRejected,
                fmt::format("repository {} is encrypted and no passphrase or key file was given (use "
                            "--password-file, CERTVAULT_PASSWORD_FILE, CERTVAULT_PASSWORD or --key-file; on a "
                            "terminal certvault asks)",
                            repository_display));
  }
  std::array<uint8_t, 32> file_key{};
  if (credentials.key_file) file_key = key_file_bytes(*credentials.key_file);
  std::vector<std::string> tried;
  for (const auto& slot : slots) {
    const bool usable =
        slot.kind == kSlotKindPassphrase ? credentials.passphrase.has_value() : credentials.key_file.has_value();
    if (!usable) continue;
    tried.push_back(slot.id);
    crypto::Key wrapping;
    if (!wrapping_key(slot.kind, slot.bytes, credentials.passphrase.value_or(""), file_key, wrapping)) {
      throw Error(ErrorKind::kFailure, fmt::format("key slot {}: Argon2id failed (out of memory?)", slot.id));
    }
    crypto::Key master;
    const bool opened = crypto::open(std::span(slot.bytes).subspan(kSlotWrappedAt, kKeySize + kTagSize),
                                     slot_ad(slot.id, repository_id, slot.bytes),
                                     std::span(slot.bytes).subspan(kSlotNonceAt, 24), wrapping, master);
    sodium_memzero(wrapping.data(), wrapping.size());
    if (!opened) continue;
    sodium_memzero(file_key.data(), file_key.size());
    auto key = crypto::derive_master_key(master, repository_id);
    sodium_memzero(master.data(), master.size());
    return {std::move(key), slot.id};
  }
  sodium_memzero(file_key.data(), file_key.size());
  std::string given_what;
  if (credentials.passphrase) given_what = "the passphrase from " + credentials.passphrase_origin;
  if (credentials.key_file) {
    given_what +=
        fmt::format("{}the key file {}", given_what.empty() ? "" : " and ", os::display(*credentials.key_file));
  }
  throw Error(ErrorKind::kKeyRejected,
              fmt::format("repository {}: no key slot opens with {}: tried {}{}{}", repository_display, given_what,
                          tried.empty() ? std::string("none (no slot of that kind)")
                                        : fmt::format("keys/{}", fmt::join(tried, ", keys/")),
                          damaged.empty() ? "" : "; damaged slots skipped: ", fmt::join(damaged, "; ")));
}

std::vector<KeySlotInfo> list(const ObjectStore& objects, const std::string& current) {
  std::vector<KeySlotInfo> out;
  for (const auto& name : objects.list(std::string(kSlotPrefix))) {
    KeySlotInfo info;
    Slot slot;
    try {
      slot = read_slot(objects, name);
    } catch (const Error& e) {
      // Listed, not thrown: the other slots still open the repository, and this one must be seen
      // (and removable) rather than stop every listing.
      if (e.kind() != ErrorKind::kIntegrity) throw;
      info.id = name.substr(kSlotPrefix.size());
      info.damage = e.what();
      out.push_back(info);
      continue;
    }
    info.id = slot.id;
    info.kind = slot.kind == kSlotKindPassphrase ? "passphrase" : "key-file";
    info.opslimit = le::load<uint64_t>(slot.bytes, kSlotOpslimitAt);
    info.memlimit = le::load<uint64_t>(slot.bytes, kSlotMemlimitAt);
    info.created_unix = static_cast<int64_t>(le::load<uint64_t>(slot.bytes, kSlotCreatedAt));
    info.current = slot.id == current;
    out.push_back(info);
  }
  return out;
}

}  // namespace key_slots
}  // namespace certvault

namespace certvault {

UnlockedObjects unlock_objects(std::unique_ptr<ObjectStore> local, RepositoryConfig& config,
                               const std::optional<Credentials>& credentials, const std::string& repository) {
  if (!config.encrypted()) return {std::move(local), nullptr, "", false};
  // Staged objects beside an encrypted config: a migration past its commit point. Its key slot
  // may still be staged too, so the slots are looked up through the overlay.
  const bool migration_unfinished = migration::has_staged_objects(*local);
  if (migration_unfinished) local = migration::overlay_staged_objects(std::move(local));
  const auto opened = key_slots::open(*local, config.repository_id,
                                      credentials ? *credentials : Credentials::from_environment(), repository);
  unseal_config(config, *opened.key, repository + "/" + config_format::kObjectName);
  return {seal_object_store(std::move(local), opened.key), opened.key, opened.slot_id, migration_unfinished};
}

}  // namespace certvault

namespace certvault {
namespace {

void require_encrypted(const Repository& repository, const char* what) {
  if (!repository.encrypted() || !repository.master_key()) {
    throw Error(ErrorKind::kUsage, fmt::format("cannot {}: repository {} is not encrypted (it has no keys)", what,
                                               repository.display_name()));
  }
}

}  // namespace

std::vector<KeySlotInfo> list_key_slots(const Repository& repository) {
  require_encrypted(repository, "list keys");
  return key_slots::list(const_cast<Repository&>(repository).objects(), repository.opened_key_slot());
}

std::string add_key_slot(Repository& repository, const Credentials& credentials, const KdfParams& params) {
  require_encrypted(repository, "add a key");
  if (repository.lock_mode() != LockMode::kExclusive) {
    throw Error(ErrorKind::kInternal, "add_key_slot needs the repository opened for writing");
  }
  repository.check_lock("adding a key slot");
  return key_slots::create(repository.objects(), *repository.master_key(), credentials, params);
}

void remove_key_slot(Repository& repository, const std::string& id) {
  require_encrypted(repository, "remove a key");
  if (repository.lock_mode() != LockMode::kExclusive) {
    throw Error(ErrorKind::kInternal, "remove_key_slot needs the repository opened for writing");
  }
  const auto slots = key_slots::list(repository.objects(), repository.opened_key_slot());
  std::vector<std::string> matches;
  for (const auto& slot : slots) {
    if (!id.empty() && slot.id.compare(0, id.size(), id) == 0) matches.push_back(slot.id);
  }
  if (matches.empty()) throw Error(ErrorKind::kUsage, fmt::format("no key slot id starts with '{}'", id));
  if (matches.size() > 1) {
    throw Error(ErrorKind::kUsage, fmt::format("'{}' is ambiguous: key slots {} match", id, fmt::join(matches, ", ")));
  }
  const auto intact = std::count_if(slots.begin(), slots.end(), [](const auto& slot) { return slot.damage.empty(); });
  const auto target =
      std::find_if(slots.begin(), slots.end(), [&](const auto& slot) { return slot.id == matches.front(); });
  if (target->damage.empty() && intact == 1) {
    throw Error(ErrorKind::kRefused,
                fmt::format("key slot {} is the repository's last key that is intact: removing it would make the "
                            "repository unreadable; add another key first (`certvault key add`)",
                            matches.front()));
  }
  repository.objects().remove(std::string(kSlotPrefix) + matches.front());
}

}  // namespace certvault
