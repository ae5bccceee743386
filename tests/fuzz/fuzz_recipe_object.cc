// Full recipe objects read in blocks (recipe_store.h): read_full_head(), which
// checks an object's frame, kind and id count against its size without reading
// its list, and verify_full_object(), which streams the object through its
// checksum and keyed hash. `check` verifies large recipes this way, and
// StreamedIds reads the head of every recipe object on a chain.
//
// The input is a recipe object, stored under the name its encoded recipe hashes
// to (with a fixed secret), so that an intact one verifies; it is tried as it
// is and re-framed (reframed.h). An object both checks pass must be the one
// decode_object() reads whole, with the same sizes.
#include <cstdlib>
#include <span>
#include <string>

#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "fuzz_target.h"
#include "keyed_hash.h"
#include "memory_object_store.h"
#include "recipe.h"
#include "recipe_format.h"
#include "recipe_store.h"
#include "reframed.h"

namespace {
using namespace certvault;

std::span<const uint8_t> fixed_secret() {
  static const auto secret = [] {
    std::vector<uint8_t> bytes(kChunkIdSecretSize);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 29 + 3);
    return bytes;
  }();
  return secret;
}

// The keyed hash of the encoded recipe the object holds (or of nothing, for one too short).
Hash128 id_of(std::span<const uint8_t> object) {
  constexpr size_t kEncodedAt = framed::kHeaderSize + recipe::kEncodedRecipeAt;
  return keyed_hash128(object.size() > kEncodedAt ? object.subspan(kEncodedAt) : object.first(0), fixed_secret());
}

std::vector<std::vector<uint8_t>> recipe_object_seeds() {
  std::vector<std::vector<uint8_t>> seeds;
  recipe::ChunkList previous;
  for (const size_t count : {size_t{0}, size_t{1}, size_t{3}, size_t{200}}) {
    recipe::ChunkList ids(count);
    for (size_t i = 0; i < ids.size(); ++i) ids[i].fill(static_cast<uint8_t>(i * 7 + 1));
    catalog::RecipeRecord record;
    record.body = recipe::encode_full(ids);
    record.id = keyed_hash128(record.body, fixed_secret());
    record.chunk_count = count;
    record.logical_size = count * 8192;
    seeds.push_back(recipe::encode_object(record));
    if (count == 3) previous = ids;
  }
  // A delta: well framed, but not a full recipe.
  auto changed = previous;
  changed[1].fill(0xEE);
  catalog::RecipeRecord delta;
  delta.body = recipe::encode_delta(previous[0], previous, changed);
  delta.chunk_count = changed.size();
  seeds.push_back(recipe::encode_object(delta));
  return seeds;
}

void read_in_blocks(std::span<const uint8_t> object) {
  const auto id = id_of(object);
  const auto name = recipe::object_name(id);
  fuzz::MemoryObjectStore store;
  store.set(name, object);
  recipe::FullObjectHead head;
  try {
    head = recipe::read_full_head(store, name, "fuzz recipe object");
    recipe::verify_full_object(store, name, head, id, fixed_secret(), "fuzz recipe object");
  } catch (const Error&) {
    return;
  }
  // Streamed and whole, one object must read the same.
  const auto whole = recipe::decode_object({object.begin(), object.end()}, id, "fuzz recipe object");
  if (whole.base || whole.chunk_count != head.chunk_count || whole.logical_size != head.logical_size) std::abort();
}

void read_recipe_object_input(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  read_in_blocks(input);
  read_in_blocks(fuzz::reframed(framed::kRecipeMagic, recipe::kObjectVersion, input));
}
}  // namespace

CERTVAULT_FUZZ_TARGET(recipe_object, recipe_object_seeds, read_recipe_object_input);
