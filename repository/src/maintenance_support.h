// Helpers shared by prune and check: object names back to ids, and the chunk
// ids a recipe row itself names.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"

namespace certvault::maintenance {

// "snapshots/<32 hex>.snap" -> the id; nullopt for any other name.
std::optional<std::string> snapshot_id_of_manifest(const std::string& name);
// "recipes/<2 hex>/<32 hex>.recipe" -> the id; nullopt for any other name.
std::optional<catalog::Digest> recipe_id_of_object(const std::string& name);

// Why manifest object `name` (snapshots/<32 hex>.snap) cannot be the snapshot
// it is named after: it cannot be read or decoded (framing checksum, JSON), or
// it holds another snapshot's id. Empty when it is intact, or when the name is
// not a snapshot's (no snapshot can depend on such an object).
std::string manifest_damage(const ObjectStore& objects, const std::string& name);

// manifest_damage(), and for a manifest whose snapshot the catalog lacks, also
// a recipe it needs (or a base of one) that is neither in the catalog nor an
// intact recipe object. Recipe objects are durable before their manifest is
// written and outlive it (prune removes manifests first), so such a manifest
// is no leftover of an interrupted backup or forget: it is a committed
// snapshot `repair catalog` could not rebuild. Empty when nothing is wrong.
std::string unrecoverable_snapshot(const catalog::Catalog& catalog, const ObjectStore& objects,
                                   std::span<const uint8_t> secret, const std::string& name);

// The chunk ids a recipe's own body lists: all of them for a full recipe, the
// new ids for a delta (its copied runs are listed by its base chain, which is
// live whenever the delta is). Throws Error(kIntegrity) on a malformed body.
std::vector<catalog::ChunkId> chunk_ids_named_by(const catalog::RecipeRecord& recipe);

}  // namespace certvault::maintenance
