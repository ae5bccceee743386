#include "recipe_store.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "framed_object.h"

namespace certvault::recipe {

std::string object_name(const Hash128& id) {
  const std::string hex = to_hex(id);
  return "recipes/" + hex.substr(0, 2) + "/" + hex + ".recipe";
}

std::vector<uint8_t> encode_object(const catalog::RecipeRecord& record) {
  std::vector<uint8_t> body;
  for (uint64_t v : {record.logical_size, record.chunk_count}) {
    for (int i = 0; i < 8; ++i) body.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  body.insert(body.end(), record.body.begin(), record.body.end());
  return framed::wrap(framed::kRecipeMagic, kObjectVersion, body);
}

catalog::RecipeRecord decode_object(std::span<const uint8_t> object, const Hash128& expected_id,
                                    const std::string& what) {
  const auto body = framed::unwrap(object, framed::kRecipeMagic, kObjectVersion, what);
  if (body.size() < 16) throw Error(ErrorKind::kIntegrity, what + ": recipe object shorter than its sizes");
  auto read_u64 = [&](size_t offset) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | body[offset + static_cast<size_t>(i)];
    return v;
  };
  catalog::RecipeRecord record;
  record.id = expected_id;
  record.logical_size = read_u64(0);
  record.chunk_count = read_u64(8);
  record.body.assign(body.begin() + 16, body.end());
  const auto decoded = decode(record.body, what);
  record.base = decoded.base;
  return record;
}

ChunkList load_ids(const catalog::Catalog& catalog, const Hash128& id) {
  // Collect the chain from `id` down to its full recipe, then apply upwards.
  std::vector<Decoded> chain;
  std::vector<std::string> names;
  Hash128 current = id;
  while (true) {
    const std::string what = fmt::format("recipe {}", to_hex(current));
    const auto record = catalog.recipe(current);
    if (!record) throw Error(ErrorKind::kIntegrity, what + " is not in the catalog");
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
  return ids;
}

}  // namespace certvault::recipe
