// Recipe objects and id lists, shared by the snapshot writer, export and repair.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"
#include "recipe.h"

namespace certvault::recipe {

std::string object_name(const Hash128& id);

// Object body: u64 logical_size, u64 chunk_count, then the encoded recipe
// (recipe_format.h).
std::vector<uint8_t> encode_object(const catalog::RecipeRecord& record);
// Writes that object (create, append, commit) without first copying the encoded recipe into it.
void put_object(ObjectStore& objects, const catalog::RecipeRecord& record);
// Parses a recipe object (taken whole: its buffer becomes the record's body); `depth` is left 0
// (the caller derives it from the chain).
catalog::RecipeRecord decode_object(std::vector<uint8_t> object, const Hash128& expected_id, const std::string& what);

// The chunk ids of recipe `id`, following delta bases through the catalog.
// The catalog is only a cache of the recipe objects: every row on the chain
// must hash (keyed with `secret`) to its id, and the ids must number the
// recipe's chunk count. Throws Error(kIntegrity) for a missing or altered
// recipe row, a cycle or a chain deeper than the format allows.
ChunkList load_ids(const catalog::Catalog& catalog, const Hash128& id, std::span<const uint8_t> secret);

// The same list without holding it, for a chain whose full recipe at the bottom lists at least
// kStreamedFromIds ids (a 512 MiB database of 8 KiB pages): the delta levels of the chain (their
// ops: a few entries per changed run) are read whole from their objects, the full recipe from its
// object in blocks of kBlockIds ids as they are asked for, so memory does not grow with the file.
// Every level is verified as load_ids() verifies the catalog's rows: the object's encoded recipe
// must hash (keyed with `secret`) to its name — the bottom one streamed once when the list is
// opened — and every copy run must lie inside its base. A smaller chain, or one whose objects
// cannot be read or do not verify, is load_ids()'s (the catalog's rows, held in memory), so a
// damaged object costs memory, never correctness. The objects are the truth: a large recipe's
// catalog row is compared with them by `check`, not here.
class StreamedIds : public IdSequence {
 public:
  static constexpr uint64_t kBlockIds = 4096;  // 64 KiB a read
  static constexpr uint64_t kStreamedFromIds = uint64_t{1} << 16;

  StreamedIds(const catalog::Catalog& catalog, const ObjectStore& objects, const Hash128& id,
              std::span<const uint8_t> secret);
  uint64_t size() const override { return size_; }
  Hash128 at(uint64_t index) override;
  // Delta levels above the full recipe (the catalog's `depth` of the recipe).
  uint32_t depth() const { return depth_; }
  bool streamed() const { return !in_memory_; }

 private:
  struct Level {
    Decoded decoded;
    std::vector<uint64_t> op_end;  // position just past each op in this level's list
  };
  bool open_from_objects(const Hash128& id, std::span<const uint8_t> secret);  // false: use the catalog

  const ObjectStore& objects_;
  std::vector<Level> levels_;  // the deltas, top first
  std::optional<ChunkList> in_memory_;
  std::string bottom_name_;
  uint64_t bottom_ids_at_ = 0;  // byte offset of the first id in the bottom object
  uint64_t bottom_count_ = 0;
  uint64_t block_index_ = UINT64_MAX;
  std::vector<Hash128> block_;
  uint64_t size_ = 0;
  uint32_t depth_ = 0;
};

}  // namespace certvault::recipe
