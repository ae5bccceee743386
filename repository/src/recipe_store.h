// Recipe objects and id lists, shared by the snapshot writer, export and repair.
#pragma once

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
// Parses a recipe object; `depth` is left 0 (the caller derives it from the chain).
catalog::RecipeRecord decode_object(std::span<const uint8_t> object, const Hash128& expected_id,
                                    const std::string& what);

// The chunk ids of recipe `id`, following delta bases through the catalog.
// The catalog is only a cache of the recipe objects: every row on the chain
// must hash (keyed with `secret`) to its id, and the ids must number the
// recipe's chunk count. Throws Error(kIntegrity) for a missing or altered
// recipe row, a cycle or a chain deeper than the format allows.
ChunkList load_ids(const catalog::Catalog& catalog, const Hash128& id, std::span<const uint8_t> secret);

}  // namespace certvault::recipe
