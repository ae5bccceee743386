// Recipes: the ordered chunk ids that rebuild a file.
//
// A recipe is full (every id) or a delta against a base recipe (runs copied
// from the base plus new ids), so a snapshot in which 0.5% of a database's
// pages changed stores a few kilobytes of recipe, not a full chunk list.
//
// The encoding and the object's layout: recipe_format.h (docs/format.md §4.1).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "id_spool.h"
#include "keyed_hash.h"
#include "recipe_format.h"

namespace certvault::recipe {

using ChunkList = std::vector<Hash128>;

struct Decoded {
  std::optional<Hash128> base;
  // For a full recipe: the ids. For a delta: unused (see apply()).
  ChunkList ids;
  struct Op {
    bool copy = false;
    uint64_t base_start = 0;
    uint64_t length = 0;
    ChunkList ids;  // for new
  };
  std::vector<Op> ops;
};

std::vector<uint8_t> encode_full(const ChunkList& ids);
// The start of a full list's encoding (its kind and count): `count` ids follow it.
std::vector<uint8_t> full_list_head(uint64_t count);
// A delta of `ids` against `base_ids`; aligns runs greedily (in-place page
// updates keep positions; insertions are resynchronised through an index).
std::vector<uint8_t> encode_delta(const Hash128& base_id, const ChunkList& base_ids, const ChunkList& ids);

// A file's effective id list, by position: a ChunkList in memory or one read on demand
// (recipe_store.h's StreamedIds).
class IdSequence {
 public:
  virtual ~IdSequence() = default;
  virtual uint64_t size() const = 0;
  virtual Hash128 at(uint64_t index) = 0;  // index < size()
};

class ChunkListIds : public IdSequence {
 public:
  explicit ChunkListIds(const ChunkList& ids) : ids_(ids) {}
  uint64_t size() const override { return ids_.size(); }
  Hash128 at(uint64_t index) override { return ids_[index]; }

 private:
  const ChunkList& ids_;
};

// Builds the encoded recipe of one file while its chunk ids arrive, walking beside the base
// recipe (the same file in the previous snapshot) instead of holding the file's own list too:
// an id equal to the base's at the same position extends a copy run, anything else is a new id
// or, after an insertion, a copy from wherever the base holds it. Memory: the base's list (the
// caller's), the ops of the changes, and for a file without a base the encoded full list. The
// index that finds an id elsewhere in the base is built only on the first id that needs it, and
// for a base of more than kFullIndexIds ids holds only the ids whose first byte is a multiple of
// kIndexSampling (content-chosen, so after a shift the alignment is found again within about
// that many chunks, and the index stays a small fraction of the list).
class Builder {
 public:
  static constexpr size_t kFullIndexIds = 1u << 16;
  static constexpr unsigned kIndexSampling = 32;

  // `base_ids` (may be null: no base) must outlive the builder. A list without a base that
  // outgrows memory is spooled into `spool_folder` (see spooled()).
  Builder(IdSequence* base_ids, std::filesystem::path spool_folder);

  // A hint before the first add(): about `ids` ids will come. A builder without a base reserves
  // the room of the list it holds in memory once, up to kObjectOnlyFromIds ids (beyond, the list
  // is spooled to disk; a hint is the source's word, not a fact).
  void expect(uint64_t ids);

  // `may_be_in_base`: false when the caller knows the id is new to the repository (so it
  // cannot be anywhere in the base) and no index lookup is needed.
  void add(const Hash128& id, bool may_be_in_base = true);
  uint64_t count() const { return count_; }
  // Every id so far equals the base's at the same position and the counts agree.
  bool same_as_base() const;
  // The encoded recipe: a delta against `base_id` when `allow_delta` and it is less than half
  // the full list, else the full list. Call once, unless spooled().
  std::vector<uint8_t> finish(const Hash128& base_id, bool allow_delta);
  // A builder without a base keeps the first kObjectOnlyFromIds ids in memory and spools the
  // whole list to a temporary file (id_spool.h) when more come: then it is a full recipe kept in
  // its object only, and finish_spooled() (once) hands over the spool of its encoded ids, in
  // place of finish().
  bool spooled() const { return spool_ != nullptr; }
  std::unique_ptr<IdSpool> finish_spooled();

 private:
  struct Op {
    bool copy;
    uint64_t start;   // copy: first base position
    uint64_t length;  // copy: run length; new: ids in new_ids from `start`
  };
  std::optional<uint64_t> find_in_base(const Hash128& id);
  void append_copy(uint64_t position);

  IdSequence* base_;
  uint64_t base_size_ = 0;
  uint64_t count_ = 0;
  bool positional_ = true;  // every id so far was a copy of the base at its own position
  uint64_t expected_ = 0;   // the base position that would continue the current copy
  std::vector<Op> ops_;
  std::vector<uint8_t> new_ids_;    // ids of new ops (with a base) or the full list (without), encoded
  std::unique_ptr<IdSpool> spool_;  // without a base, once the list outgrew kObjectOnlyFromIds ids
  std::filesystem::path spool_folder_;
  bool index_built_ = false;
  std::unordered_map<Hash128, uint64_t, Hash128Hasher> first_position_;
};

// Throws Error(kIntegrity) naming `what` on malformed input.
Decoded decode(std::span<const uint8_t> body, const std::string& what);
// Checks `body` exactly as decode() does without keeping its ids (a full recipe's list is 16
// bytes a chunk); returns a delta's base, nothing for a full recipe.
std::optional<Hash128> validate(std::span<const uint8_t> body, const std::string& what);

// Rebuilds the id list of a decoded recipe; `base_ids` must be the base's list.
ChunkList apply(const Decoded& recipe, const ChunkList* base_ids, const std::string& what);

}  // namespace certvault::recipe
