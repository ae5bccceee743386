#include "recipe_store.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/little_endian.h"
#include "framed_object.h"
#include "keyed_hash.h"

namespace certvault::recipe {

std::string object_name(const Hash128& id) {
  const std::string hex = to_hex(id);
  return "recipes/" + hex.substr(0, 2) + "/" + hex + ".recipe";
}

std::vector<uint8_t> encode_object(const catalog::RecipeRecord& record) {
  std::vector<uint8_t> body;
  le::append<uint64_t>(body, record.logical_size);
  le::append<uint64_t>(body, record.chunk_count);
  body.insert(body.end(), record.body.begin(), record.body.end());
  return framed::wrap(framed::kRecipeMagic, kObjectVersion, body);
}

catalog::RecipeRecord decode_object(std::span<const uint8_t> object, const Hash128& expected_id,
                                    const std::string& what) {
  const auto body = framed::unwrap(object, framed::kRecipeMagic, kObjectVersion, what);
  if (body.size() < kEncodedRecipeAt) {
    throw Error(ErrorKind::kIntegrity, what + ": recipe object shorter than its sizes");
  }
  catalog::RecipeRecord record;
  record.id = expected_id;
  record.logical_size = le::load<uint64_t>(body, kLogicalSizeAt);
  record.chunk_count = le::load<uint64_t>(body, kChunkCountAt);
  record.body.assign(body.begin() + kEncodedRecipeAt, body.end());
  const auto decoded = decode(record.body, what);
  record.base = decoded.base;
  return record;
}

ChunkList load_ids(const catalog::Catalog& catalog, const Hash128& id, std::span<const uint8_t> secret) {
  // Collect the chain from `id` down to its full recipe, then apply upwards.
  std::vector<Decoded> chain;
  std::vector<std::string> names;
  uint64_t chunk_count = 0;
  Hash128 current = id;
  while (true) {
    const std::string what = fmt::format("recipe {}", to_hex(current));
    const auto record = catalog.recipe(current);
    if (!record) throw Error(ErrorKind::kIntegrity, what + " is not in the catalog");
    if (keyed_hash128(record->body, secret) != current) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: the catalog's copy of the encoded recipe does not hash to its id (the catalog is "
                              "damaged; `certvault repair catalog` rebuilds it from the recipe objects)",
                              what));
    }
    if (chain.empty()) chunk_count = record->chunk_count;
    chain.push_back(decode(record->body, what));
    names.push_back(what);
    if (!chain.back().base) break;
    if (chain.size() > kMaxDeltaDepth + 1) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("recipe {}: delta chain longer than {}", to_hex(id), kMaxDeltaDepth));
    }
    current = *chain.back().base;
  }
  ChunkList ids = chain.back().ids;
  for (size_t i = chain.size() - 1; i-- > 0;) ids = apply(chain[i], &ids, names[i]);
  if (ids.size() != chunk_count) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("recipe {} lists {} chunk ids but the catalog records a chunk count of {} (the catalog is "
                            "damaged; `certvault repair catalog` rebuilds it from the recipe objects)",
                            to_hex(id), ids.size(), chunk_count));
  }
  return ids;
}

}  // namespace certvault::recipe
