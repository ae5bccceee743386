// Recipes: the ordered chunk ids that rebuild a file.
//
// A recipe is full (every id) or a delta against a base recipe (runs copied
// from the base plus new ids), so a snapshot in which 0.5% of a database's
// pages changed stores a few kilobytes of recipe, not a full chunk list.
//
// The encoding and the object's layout: recipe_format.h (docs/format.md §4.1).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

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
// A delta of `ids` against `base_ids`; aligns runs greedily (in-place page
// updates keep positions; insertions are resynchronised through an index).
std::vector<uint8_t> encode_delta(const Hash128& base_id, const ChunkList& base_ids, const ChunkList& ids);

// Throws Error(kIntegrity) naming `what` on malformed input.
Decoded decode(std::span<const uint8_t> body, const std::string& what);

// Rebuilds the id list of a decoded recipe; `base_ids` must be the base's list.
ChunkList apply(const Decoded& recipe, const ChunkList* base_ids, const std::string& what);

}  // namespace certvault::recipe
