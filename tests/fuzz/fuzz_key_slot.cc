// Key slots `keys/<16 hex>` (docs/format.md §8.2): every command on an
// encrypted repository lists them and reads each one before it runs Argon2id,
// so a slot anyone could rewrite must be refused as damaged, and must never get
// its recorded Argon2id cost past the bound of key_slots.h (a slot that got
// past it once made the reader allocate up to 4 GiB).
//
// The input is one slot object, read through key_slots::list() (as `key list`
// does) and key_slots::open() without credentials (as every command does before
// it asks for a passphrase: it reads every slot, then refuses before any
// Argon2id). Only parsing runs: no key is ever derived. A 152-byte input is
// tried again with its checksum made to hold, as a forger would.
#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

#include "certvault/base/error.h"
#include "certvault/repository/keys.h"
#include "crypto.h"
#include "fuzz_target.h"
#include "key_slots.h"
#include "memory_object_store.h"

namespace {
using namespace certvault;
using namespace certvault::crypto_format;

const std::string kRepositoryId(32, 'c');
const std::string kSlotName = std::string(kSlotPrefix) + "0123456789abcdef";

std::vector<uint8_t> with_checksum(std::vector<uint8_t> slot) {
  const auto check = crypto::digest(std::span(slot).first(kSlotChecksumAt), 16);
  std::memcpy(slot.data() + kSlotChecksumAt, check.data(), check.size());
  return slot;
}

std::vector<std::vector<uint8_t>> key_slot_seeds() {
  fuzz::MemoryObjectStore store;
  const auto key = crypto::new_master_key(kRepositoryId);
  Credentials credentials;
  credentials.passphrase = "fuzz passphrase";
  // libsodium's minimum cost: the seeds are made once per run, and the cost is only a field here.
  key_slots::create(store, *key, credentials, {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN});
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& name : store.list(std::string(kSlotPrefix))) seeds.push_back(store.read_all(name));
  // The default cost written into the fields (create() would run Argon2id at it), the bound, and
  // costs the reader once accepted (up to 64 passes over 4 GiB) and now refuses.
  for (const auto& [opslimit, memlimit] :
       {std::pair<uint64_t, uint64_t>{2, 128u << 20},
        {key_slots::kMaxOpslimit, key_slots::kMaxOpslimitTimesMemlimit / key_slots::kMaxOpslimit},
        {2, uint64_t{4} << 30},
        {64, uint64_t{4} << 30}}) {
    auto slot = seeds.front();
    for (size_t i = 0; i < 8; ++i) {
      slot[kSlotOpslimitAt + i] = static_cast<uint8_t>(opslimit >> (8 * i));
      slot[kSlotMemlimitAt + i] = static_cast<uint8_t>(memlimit >> (8 * i));
    }
    seeds.push_back(with_checksum(std::move(slot)));
  }
  // A key-file slot: kind 2, no algorithm or cost (its wrapped key is not for this kind, which
  // parsing does not see).
  auto key_file_slot = seeds.front();
  key_file_slot[kSlotKindAt] = static_cast<uint8_t>(kSlotKindKeyFile);
  std::memset(key_file_slot.data() + kSlotAlgorithmAt, 0, kSlotCreatedAt - kSlotAlgorithmAt);
  seeds.push_back(with_checksum(std::move(key_file_slot)));
  return seeds;
}

void parse_slot(std::span<const uint8_t> slot) {
  fuzz::MemoryObjectStore store;
  store.set(kSlotName, slot);
  try {
    for (const auto& info : key_slots::list(store, "")) {
      // What list() accepts, open() would hand to crypto_pwhash.
      if (info.kind == "passphrase" && !key_slots::acceptable_kdf_cost(info.opslimit, info.memlimit)) std::abort();
    }
  } catch (const Error&) {
  }
  try {
    (void)key_slots::open(store, kRepositoryId, Credentials{}, "fuzz repository");
    std::abort();  // no credential was given: nothing may open
  } catch (const Error&) {
  }
}

void parse_key_slot_input(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  parse_slot(input);
  if (size == kSlotSize) parse_slot(with_checksum({input.begin(), input.end()}));
}
}  // namespace

CERTVAULT_FUZZ_TARGET(key_slot, key_slot_seeds, parse_key_slot_input);
