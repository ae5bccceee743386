// Sealed objects of an encrypted repository (docs/format.md §8.3): the sealed
// store's header check, its plaintext layout from the object's size (full
// blocks, a last block, tags) and its ranged reads, which open only the blocks
// a read touches. Everything but the config and key slots is read through it.
//
// Input: a first byte choosing the object's name (its kind is bound into every
// block) and whether the inner store poses as remote (then the store keeps
// object heads), then the object as it lies in the inner store. A fixed master
// key seals the seeds, so unmutated they open; mutated, they must fail with
// Error(kIntegrity). Whatever opens must read the same bytes whole and in
// ranges, as many as size() reports.
#include <array>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "certvault/base/error.h"
#include "crypto.h"
#include "fuzz_target.h"
#include "memory_object_store.h"
#include "sealed_object_store.h"

namespace {
using namespace certvault;

const std::array<std::string, 6> kNames = {
    "packs/ab/ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab.pack",
    "recipes/cd/cd0123456789abcdef0123456789abcd.recipe",
    "snapshots/0123456789abcdef0123456789abcdef.snap",
    "dicts/0000abcd.dict",
    "truncations/0123456789abcdef0123456789abcdef.outcome",
    "catalog.db"};

std::shared_ptr<const crypto::MasterKey> fixed_key() {
  static const auto key = [] {
    crypto::Key master;
    for (size_t i = 0; i < master.size(); ++i) master[i] = static_cast<uint8_t>(i * 13 + 7);
    return crypto::derive_master_key(master, std::string(32, 'd'));
  }();
  return key;
}

std::vector<std::vector<uint8_t>> sealed_object_seeds() {
  constexpr size_t kBlock = crypto_format::kSealedBlockSize;
  const std::pair<uint8_t, size_t> shapes[] = {{0, 1000},         {1, 0},          {2, kBlock},
                                               {3, kBlock + 100}, {4 | 0x80, 300}, {5 | 0x80, 2 * kBlock + 1}};
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& [selector, size] : shapes) {
    auto inner = std::make_unique<fuzz::MemoryObjectStore>();
    auto* raw = inner.get();
    const auto sealed = seal_object_store(std::move(inner), fixed_key());
    std::vector<uint8_t> plain(size);
    for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(i % 251);
    const auto& name = kNames[(selector & 0x7F) % kNames.size()];
    sealed->put(name, plain);
    auto seed = raw->read_all(name);
    seed.insert(seed.begin(), selector);
    seeds.push_back(std::move(seed));
  }
  return seeds;
}

void read_sealed_object(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const uint8_t selector = data[0];
  const auto& name = kNames[(selector & 0x7F) % kNames.size()];
  auto inner = std::make_unique<fuzz::MemoryObjectStore>();
  inner->set(name, std::span(data + 1, size - 1));
  if ((selector & 0x80) != 0) inner->set_request_cost_bytes(64 << 10);
  const auto sealed = seal_object_store(std::move(inner), fixed_key());
  uint64_t plain_size = 0;
  std::vector<uint8_t> whole;
  try {
    plain_size = sealed->size(name);
    whole = sealed->read_all(name);
  } catch (const Error&) {
    return;
  }
  if (whole.size() != plain_size) std::abort();
  // Ranges that start or end inside a block, cross a block boundary, or are empty.
  const std::pair<uint64_t, uint64_t> ranges[] = {
      {0, 0}, {0, 1}, {plain_size / 3, plain_size / 3}, {plain_size, 0}, {65535, 2}, {65536, 65536}, {1, 65536}};
  for (const auto& [offset, length] : ranges) {
    if (offset > plain_size || length > plain_size - offset) continue;
    const auto part = sealed->read(name, offset, length);
    if (part.size() != length || !std::equal(part.begin(), part.end(), whole.begin() + static_cast<ptrdiff_t>(offset)))
      std::abort();
  }
  // A read past the end is refused, never served.
  try {
    (void)sealed->read(name, plain_size, 1);
    std::abort();
  } catch (const Error&) {
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(sealed_object, sealed_object_seeds, read_sealed_object);
