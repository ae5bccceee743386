// Recipe objects and id lists, shared by the snapshot writer, export and repair.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"
#include "id_spool.h"
#include "recipe.h"

namespace certvault::recipe {

std::string object_name(const Hash128& id);

// Object body: u64 logical_size, u64 chunk_count, then the encoded recipe
// (recipe_format.h).
std::vector<uint8_t> encode_object(const catalog::RecipeRecord& record);
// Writes that object (create, append, commit) without first copying the encoded recipe into it.
void put_object(ObjectStore& objects, const catalog::RecipeRecord& record);

// A full recipe whose ids the builder spooled (Builder::finish_spooled()): the ids, and the frame's
// XXH64 of the object's body, computed with the recipe's id in one pass over the spool.
struct SpooledRecipe {
  std::unique_ptr<IdSpool> ids;
  uint64_t body_xxh64 = 0;
};
// Sets `record.id` (the keyed hash of the encoded list) from the spooled ids; `record`'s sizes
// must be set, its body empty.
SpooledRecipe digest_spooled(std::unique_ptr<IdSpool> ids, catalog::RecipeRecord& record,
                             std::span<const uint8_t> secret);
// Writes the object of `record` from its spooled ids: the same bytes put_object() would write. The
// ids are hashed again as they are copied; if they no longer give `record.id` and the checksum
// (the spool changed on disk), throws Error(kIntegrity) and commits nothing.
void put_spooled_object(ObjectStore& objects, const catalog::RecipeRecord& record, const SpooledRecipe& spooled,
                        std::span<const uint8_t> secret);
// Parses a recipe object (taken whole: its buffer becomes the record's body); `depth` is left 0
// (the caller derives it from the chain).
catalog::RecipeRecord decode_object(std::vector<uint8_t> object, const Hash128& expected_id, const std::string& what);

// A full recipe of at least kObjectOnlyFromIds ids (recipe_format.h) keeps its encoded list in
// its object only; its catalog row holds an empty body. At 16 bytes a page, the
// row would otherwise double the catalog's size per chunk, be copied into memory by every reader
// that selects it (SQLite hands a row out whole) and be read whole by SQLite's key comparisons in
// the recipes table. Every reader of recipe rows goes through load_ids(), StreamedIds or
// for_each_id_block(), which read such a list from the object. An empty body is never a valid
// encoded recipe (it has no kind byte), so the marker is unambiguous.
bool kept_in_object_only(const std::optional<Hash128>& base, uint64_t chunk_count);
// Whether a catalog row is in that form (an empty body where kept_in_object_only() allows one);
// rows written before schema 5 may still carry the body of such a recipe.
bool row_in_object_only(const catalog::RecipeRecord& row);
// Drops `record`'s body when kept_in_object_only(): the form its catalog row takes.
void drop_body_kept_in_object(catalog::RecipeRecord& record);

// The head of a full recipe object, checked without reading its list: magic, version, the body's
// length against the object's size, the kind, and the list's count against both the recorded
// chunk count and the bytes that follow. Throws Error(kIntegrity) naming `what`.
struct FullObjectHead {
  uint64_t logical_size = 0;
  uint64_t chunk_count = 0;
  uint64_t ids_at = 0;      // byte offset of the first chunk id in the object
  uint64_t body_xxh64 = 0;  // the frame's checksum of the body
};
FullObjectHead read_full_head(const ObjectStore& objects, const std::string& name, const std::string& what);
// Streams the object past once, in reads of kVerifyReadBytes: the frame's XXH64 of the body and the
// keyed hash of the encoded recipe (with `secret`) against `id`. Throws Error(kIntegrity) naming
// `what` on a mismatch.
inline constexpr uint64_t kVerifyReadBytes = uint64_t{1} << 20;
void verify_full_object(const ObjectStore& objects, const std::string& name, const FullObjectHead& head,
                        const Hash128& id, std::span<const uint8_t> secret, const std::string& what);

// The chunk ids of recipe `id`, following delta bases through the catalog.
// The catalog is only a cache of the recipe objects: every row on the chain
// must hash (keyed with `secret`) to its id, and the ids must number the
// recipe's chunk count. A row kept in its object only (above) is read from
// `objects`, whole. Throws Error(kIntegrity) for a missing or altered recipe
// row or object, a cycle or a chain deeper than the format allows.
ChunkList load_ids(const catalog::Catalog& catalog, const ObjectStore& objects, const Hash128& id,
                   std::span<const uint8_t> secret);

// The same list without holding it, for a chain whose full recipe at the bottom lists at least
// kStreamedFromIds ids (a 512 MiB database of 8 KiB pages): the delta levels of the chain (their
// ops: a few entries per changed run) are read whole from their objects, the full recipe from its
// object in blocks of kBlockIds ids as they are asked for, so memory does not grow with the file.
// Every level is verified as load_ids() verifies the catalog's rows: the object's encoded recipe
// must hash (keyed with `secret`) to its name — the bottom one streamed once when the list is
// opened, and again as its blocks are read if they are read in order — and every copy run must
// lie inside its base. A smaller chain, or one whose objects
// cannot be read or do not verify, is load_ids()'s (held in memory); for a chain whose full recipe
// is kept in its object only, that fails with load_ids()'s error naming the object. The objects
// are the truth: a recipe's catalog row is compared with them by `check`, not here.
class StreamedIds : public IdSequence {
 public:
  static constexpr uint64_t kBlockIds = 4096;  // 64 KiB a read
  static constexpr uint64_t kStreamedFromIds = kObjectOnlyFromIds;

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
  void load_block(uint64_t block);

  const ObjectStore& objects_;
  std::vector<Level> levels_;  // the deltas, top first
  std::optional<ChunkList> in_memory_;
  std::string bottom_name_;
  uint64_t bottom_ids_at_ = 0;  // byte offset of the first id in the bottom object
  uint64_t bottom_count_ = 0;
  uint64_t block_index_ = UINT64_MAX;
  std::vector<Hash128> block_;
  // The bottom object was verified when opened, then its blocks are read again: blocks read in
  // order from the first are hashed again, and when the last of them arrives the list must still
  // hash to its name (a whole walk, as prune's live set makes, is then verified as it was used).
  Hash128 bottom_id_{};
  std::optional<StreamingDigest> reread_digest_;
  uint64_t reread_blocks_ = 0;
  uint64_t size_ = 0;
  uint32_t depth_ = 0;
};

// Hands `visit` the effective chunk ids of recipe `id` in order, in blocks of at most
// StreamedIds::kBlockIds, read as StreamedIds reads them: memory does not grow with the file.
void for_each_id_block(const catalog::Catalog& catalog, const ObjectStore& objects, const Hash128& id,
                       std::span<const uint8_t> secret, const std::function<void(std::span<const Hash128>)>& visit);

}  // namespace certvault::recipe
