#include "recipe_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/little_endian.h"
#include "framed_format.h"
#include "framed_object.h"
#include "keyed_hash.h"

namespace certvault::recipe {

std::string object_name(const Hash128& id) {
  const std::string hex = to_hex(id);
  return "recipes/" + hex.substr(0, 2) + "/" + hex + ".recipe";
}

std::vector<uint8_t> encode_object(const catalog::RecipeRecord& record) {
  std::vector<uint8_t> sizes;
  le::append<uint64_t>(sizes, record.logical_size);
  le::append<uint64_t>(sizes, record.chunk_count);
  // Framed in one allocation: a database's full recipe is 16 bytes a page.
  return framed::wrap(framed::kRecipeMagic, kObjectVersion, {sizes, record.body});
}

namespace {

std::vector<uint8_t> object_sizes(const catalog::RecipeRecord& record) {
  std::vector<uint8_t> sizes;
  le::append<uint64_t>(sizes, record.logical_size);
  le::append<uint64_t>(sizes, record.chunk_count);
  return sizes;
}

}  // namespace

void put_object(ObjectStore& objects, const catalog::RecipeRecord& record) {
  // An empty body is a catalog row's "kept in its object only", never a recipe: writing it would
  // replace the object holding the list.
  if (record.body.empty()) {
    throw Error(ErrorKind::kInternal,
                fmt::format("recipe {}: put_object() without an encoded recipe", to_hex(record.id)));
  }
  const auto sizes = object_sizes(record);
  // The frame's header for an empty body, then its length and checksum set for the real one.
  auto header = framed::wrap(framed::kRecipeMagic, kObjectVersion, std::span<const uint8_t>());
  le::store<uint32_t>(header, framed::kBodyLengthAt, static_cast<uint32_t>(sizes.size() + record.body.size()));
  StreamingChecksum checksum;
  checksum.update(sizes);
  checksum.update(record.body);
  le::store<uint64_t>(header, framed::kBodyXxh64At, checksum.digest());
  auto writer = objects.create(object_name(record.id));
  writer->append(header);
  writer->append(sizes);
  writer->append(record.body);
  writer->commit();
}

SpooledRecipe digest_spooled(std::unique_ptr<IdSpool> ids, catalog::RecipeRecord& record,
                             std::span<const uint8_t> secret) {
  if (record.base || !record.body.empty() || ids->size() != record.chunk_count * kIdSize) {
    throw Error(ErrorKind::kInternal, fmt::format("recipe: a spool of {} bytes for a full list of {} chunks",
                                                  ids->size(), record.chunk_count));
  }
  const auto head = full_list_head(record.chunk_count);
  const auto sizes = object_sizes(record);
  StreamingDigest digest(secret);
  StreamingChecksum checksum;
  checksum.update(sizes);
  checksum.update(head);
  digest.update(head);
  ids->for_each_block([&](std::span<const uint8_t> block) {
    checksum.update(block);
    digest.update(block);
  });
  record.id = digest.digest();
  return {std::move(ids), checksum.digest()};
}

void put_spooled_object(ObjectStore& objects, const catalog::RecipeRecord& record, const SpooledRecipe& spooled,
                        std::span<const uint8_t> secret) {
  const auto head = full_list_head(record.chunk_count);
  const auto sizes = object_sizes(record);
  auto frame = framed::wrap(framed::kRecipeMagic, kObjectVersion, std::span<const uint8_t>());
  const uint64_t body_length = sizes.size() + head.size() + spooled.ids->size();
  if (body_length > UINT32_MAX) {
    throw Error(ErrorKind::kRefused, fmt::format("recipe {}: {} chunks are more than a recipe object can list",
                                                 to_hex(record.id), record.chunk_count));
  }
  le::store<uint32_t>(frame, framed::kBodyLengthAt, static_cast<uint32_t>(body_length));
  le::store<uint64_t>(frame, framed::kBodyXxh64At, spooled.body_xxh64);
  // The spool is read again, maybe minutes after it was named: hashed again as it is copied, so
  // that bytes changed on disk in between fail the backup instead of committing an object that
  // does not match its name.
  StreamingDigest digest(secret);
  StreamingChecksum checksum;
  checksum.update(sizes);
  checksum.update(head);
  digest.update(head);
  auto writer = objects.create(object_name(record.id));
  writer->append(frame);
  writer->append(sizes);
  writer->append(head);
  spooled.ids->for_each_block([&](std::span<const uint8_t> block) {
    checksum.update(block);
    digest.update(block);
    writer->append(block);
  });
  if (checksum.digest() != spooled.body_xxh64 || digest.digest() != record.id) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("recipe {}: its chunk ids changed in the spool {} between naming the recipe and writing "
                            "it; nothing was committed",
                            to_hex(record.id), spooled.ids->path().generic_string()));
  }
  writer->commit();
}

catalog::RecipeRecord decode_object(std::vector<uint8_t> object, const Hash128& expected_id, const std::string& what) {
  const auto body = framed::unwrap(object, framed::kRecipeMagic, kObjectVersion, what);
  if (body.size() < kEncodedRecipeAt) {
    throw Error(ErrorKind::kIntegrity, what + ": recipe object shorter than its sizes");
  }
  catalog::RecipeRecord record;
  record.id = expected_id;
  record.logical_size = le::load<uint64_t>(body, kLogicalSizeAt);
  record.chunk_count = le::load<uint64_t>(body, kChunkCountAt);
  // The encoded recipe moved to the front of the object's own buffer, not copied out of it, and
  // checked without expanding its ids: a full recipe is 16 bytes a chunk.
  const auto from = static_cast<std::ptrdiff_t>(body.data() - object.data()) + kEncodedRecipeAt;
  const auto length = body.size() - kEncodedRecipeAt;
  object.erase(object.begin(), object.begin() + from);
  object.resize(length);
  record.body = std::move(object);
  record.base = validate(record.body, what);
  return record;
}

bool kept_in_object_only(const std::optional<Hash128>& base, uint64_t chunk_count) {
  return !base && chunk_count >= kObjectOnlyFromIds;
}

bool row_in_object_only(const catalog::RecipeRecord& row) {
  return row.body.empty() && kept_in_object_only(row.base, row.chunk_count);
}

void drop_body_kept_in_object(catalog::RecipeRecord& record) {
  if (!kept_in_object_only(record.base, record.chunk_count)) return;
  record.body.clear();
  record.body.shrink_to_fit();
}

namespace {

// read_full_head(), but a well-framed delta gives nothing instead of an error: StreamedIds walks
// a chain of deltas down to its full recipe with one head read per object.
std::optional<FullObjectHead> read_head_if_full(const ObjectStore& objects, const std::string& name,
                                                const std::string& what) {
  constexpr size_t kHeadBytes = framed::kHeaderSize + kEncodedRecipeAt + 1 + 10;  // + kind + varint count
  const uint64_t size = objects.size(name);
  if (size < framed::kHeaderSize + kEncodedRecipeAt + 1) throw Error(ErrorKind::kIntegrity, what + ": too short");
  const auto head = objects.read(name, 0, std::min<uint64_t>(size, kHeadBytes));
  const uint32_t version = le::load<uint32_t>(head, framed::kVersionAt);
  if (std::string_view(reinterpret_cast<const char*>(head.data()), framed::kMagicSize) != framed::kRecipeMagic ||
      version == 0 || version > kObjectVersion ||
      le::load<uint32_t>(head, framed::kBodyLengthAt) != size - framed::kHeaderSize) {
    throw Error(ErrorKind::kIntegrity, what +
                                           ": not a recipe object of a known version, or of another length "
                                           "than its frame records");
  }
  if (head[framed::kHeaderSize + kEncodedRecipeAt] != kKindFull) return std::nullopt;
  FullObjectHead result;
  result.logical_size = le::load<uint64_t>(head, framed::kHeaderSize + kLogicalSizeAt);
  result.chunk_count = le::load<uint64_t>(head, framed::kHeaderSize + kChunkCountAt);
  result.body_xxh64 = le::load<uint64_t>(head, framed::kBodyXxh64At);
  uint64_t listed = 0;
  size_t at = framed::kHeaderSize + kEncodedRecipeAt + 1;
  for (int shift = 0;; shift += 7) {
    if (at >= head.size() || shift >= 64) throw Error(ErrorKind::kIntegrity, what + ": malformed id count");
    listed |= static_cast<uint64_t>(head[at] & 0x7F) << shift;
    if ((head[at++] & 0x80) == 0) break;
  }
  if (listed != result.chunk_count || (size - at) % kIdSize != 0 || (size - at) / kIdSize != listed) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: lists {} ids in {} bytes but records a chunk count of {}", what,
                                                   listed, size - at, result.chunk_count));
  }
  result.ids_at = at;
  return result;
}

}  // namespace

FullObjectHead read_full_head(const ObjectStore& objects, const std::string& name, const std::string& what) {
  auto head = read_head_if_full(objects, name, what);
  if (!head) throw Error(ErrorKind::kIntegrity, what + ": not a full recipe");
  return *head;
}

void verify_full_object(const ObjectStore& objects, const std::string& name, const FullObjectHead& head,
                        const Hash128& id, std::span<const uint8_t> secret, const std::string& what) {
  const uint64_t size = head.ids_at + head.chunk_count * kIdSize;
  StreamingChecksum checksum;
  StreamingDigest digest(secret);
  for (uint64_t offset = framed::kHeaderSize; offset < size; offset += kVerifyReadBytes) {
    const auto bytes = objects.read(name, offset, std::min(kVerifyReadBytes, size - offset));
    checksum.update(bytes);
    // The keyed hash covers the encoded recipe, which starts after the two sizes.
    const uint64_t recipe_at = framed::kHeaderSize + kEncodedRecipeAt;
    const uint64_t skip = offset < recipe_at ? std::min<uint64_t>(recipe_at - offset, bytes.size()) : 0;
    digest.update(std::span(bytes).subspan(skip));
  }
  if (checksum.digest() != head.body_xxh64) {
    throw Error(ErrorKind::kIntegrity, what + ": the body does not match its frame's checksum");
  }
  if (digest.digest() != id)
    throw Error(ErrorKind::kIntegrity, what + ": its encoded recipe does not hash to its name");
}

namespace {

// The encoded recipe of a catalog row: its body, or for a row kept in its object only, the
// object's (whose sizes must be the row's).
std::vector<uint8_t> encoded_recipe(const catalog::RecipeRecord& row, const ObjectStore& objects,
                                    const std::string& what) {
  if (!row.body.empty()) return row.body;
  if (!kept_in_object_only(row.base, row.chunk_count)) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{}: the catalog's row has no encoded recipe, which only a full recipe of at least {} "
                            "chunks may lack (the catalog is damaged; `certvault repair catalog` rebuilds it from the "
                            "recipe objects)",
                            what, kObjectOnlyFromIds));
  }
  auto object = decode_object(objects.read_all(object_name(row.id)), row.id, what + " (object)");
  if (object.base || object.chunk_count != row.chunk_count || object.logical_size != row.logical_size) {
    throw Error(ErrorKind::kIntegrity, what +
                                           ": its object disagrees with the catalog's row (`certvault check` "
                                           "says how)");
  }
  return std::move(object.body);
}

}  // namespace

ChunkList load_ids(const catalog::Catalog& catalog, const ObjectStore& objects, const Hash128& id,
                   std::span<const uint8_t> secret) {
  // Collect the chain from `id` down to its full recipe, then apply upwards.
  std::vector<Decoded> chain;
  std::vector<std::string> names;
  uint64_t chunk_count = 0;
  Hash128 current = id;
  while (true) {
    const std::string what = fmt::format("recipe {}", to_hex(current));
    const auto record = catalog.recipe(current);
    if (!record) throw Error(ErrorKind::kIntegrity, what + " is not in the catalog");
    const auto body = encoded_recipe(*record, objects, what);
    if (keyed_hash128(body, secret) != current) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: the catalog's copy of the encoded recipe does not hash to its id (the catalog is "
                              "damaged; `certvault repair catalog` rebuilds it from the recipe objects)",
                              what));
    }
    if (chain.empty()) chunk_count = record->chunk_count;
    chain.push_back(decode(body, what));
    names.push_back(what);
    if (!chain.back().base) break;
    if (chain.size() > kMaxDeltaDepth + 1) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("recipe {}: delta chain longer than {}", to_hex(id), kMaxDeltaDepth));
    }
    current = *chain.back().base;
  }
  ChunkList ids = std::move(chain.back().ids);
  for (size_t i = chain.size() - 1; i-- > 0;) ids = apply(chain[i], &ids, names[i]);
  if (ids.size() != chunk_count) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("recipe {} lists {} chunk ids but the catalog records a chunk count of {} (the catalog is "
                            "damaged; `certvault repair catalog` rebuilds it from the recipe objects)",
                            to_hex(id), ids.size(), chunk_count));
  }
  return ids;
}

namespace {

bool bottom_row_is_large(const catalog::Catalog& catalog, const Hash128& id) {
  Hash128 current = id;
  for (uint32_t level = 0; level <= kMaxDeltaDepth; ++level) {
    const auto row = catalog.recipe(current);
    if (!row) return false;
    if (!row->base) return row->chunk_count >= StreamedIds::kStreamedFromIds;
    current = *row->base;
  }
  return false;  // deeper than the format allows: load_ids() says so
}

}  // namespace

StreamedIds::StreamedIds(const catalog::Catalog& catalog, const ObjectStore& objects, const Hash128& id,
                         std::span<const uint8_t> secret)
    : objects_(objects) {
  // The catalog's rows say whether the chain ends in a large full recipe; a small chain is read
  // from them alone, without a request per object (an object store may be remote).
  bool streamed = false;
  try {
    streamed = bottom_row_is_large(catalog, id) && open_from_objects(id, secret);
  } catch (const Error&) {
    streamed = false;
  }
  if (!streamed) {
    levels_.clear();
    in_memory_ = load_ids(catalog, objects, id, secret);
    size_ = in_memory_->size();
    const auto record = catalog.recipe(id);
    depth_ = record ? record->depth : 0;
  }
}

bool StreamedIds::open_from_objects(const Hash128& id, std::span<const uint8_t> secret) {
  std::vector<uint64_t> counts;  // each level's chunk count as its object records it, top first
  Hash128 current = id;
  while (true) {
    const std::string name = object_name(current);
    const std::string what = fmt::format("recipe {}", to_hex(current));
    const auto full_head = read_head_if_full(objects_, name, what);
    if (!full_head) {
      const auto record = decode_object(objects_.read_all(name), current, what);
      if (keyed_hash128(record.body, secret) != current) throw Error(ErrorKind::kIntegrity, what + ": hash");
      Level level;
      level.decoded = decode(record.body, what);
      if (!level.decoded.base) throw Error(ErrorKind::kIntegrity, what + ": no base");
      uint64_t end = 0;
      for (const auto& op : level.decoded.ops) {
        end += op.copy ? op.length : op.ids.size();
        level.op_end.push_back(end);
      }
      if (end != record.chunk_count) throw Error(ErrorKind::kIntegrity, what + ": chunk count");
      counts.push_back(record.chunk_count);
      current = *level.decoded.base;
      levels_.push_back(std::move(level));
      if (levels_.size() > kMaxDeltaDepth) throw Error(ErrorKind::kIntegrity, what + ": chain too deep");
      continue;
    }
    // The full recipe at the bottom: frame, sizes and encoding checked from the head, then the
    // object verified as it streams past once.
    const auto& head = *full_head;
    if (head.chunk_count < kStreamedFromIds) return false;  // small: held in memory (load_ids)
    verify_full_object(objects_, name, head, current, secret, what);
    bottom_name_ = name;
    bottom_ids_at_ = head.ids_at;
    bottom_count_ = head.chunk_count;
    bottom_id_ = current;
    reread_digest_.emplace(secret);
    reread_digest_->update(full_list_head(bottom_count_));
    break;
  }
  // Bottom up: every copy run inside its base's list.
  uint64_t base_size = bottom_count_;
  for (size_t i = levels_.size(); i-- > 0;) {
    for (const auto& op : levels_[i].decoded.ops) {
      if (op.copy && (op.base_start > base_size || op.length > base_size - op.base_start)) {
        throw Error(ErrorKind::kIntegrity, "recipe copy run outside its base");
      }
    }
    base_size = counts[i];
  }
  size_ = base_size;
  depth_ = static_cast<uint32_t>(levels_.size());
  return true;
}

Hash128 StreamedIds::at(uint64_t index) {
  if (in_memory_) return (*in_memory_)[index];
  uint64_t position = index;
  for (const auto& level : levels_) {
    const auto it = std::upper_bound(level.op_end.begin(), level.op_end.end(), position);
    const size_t op_index = static_cast<size_t>(it - level.op_end.begin());
    const uint64_t op_start = op_index == 0 ? 0 : level.op_end[op_index - 1];
    const auto& op = level.decoded.ops[op_index];
    if (!op.copy) return op.ids[position - op_start];
    position = op.base_start + (position - op_start);
  }
  const uint64_t block = position / kBlockIds;
  if (block != block_index_) load_block(block);
  return block_[position % kBlockIds];
}

void StreamedIds::load_block(uint64_t block) {
  const uint64_t first = block * kBlockIds;
  const uint64_t n = std::min(kBlockIds, bottom_count_ - first);
  const auto bytes = objects_.read(bottom_name_, bottom_ids_at_ + first * kIdSize, n * kIdSize);
  if (bytes.size() != n * kIdSize) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("recipe {}: {} bytes of ids at offset {} read as {}", to_hex(bottom_id_), n * kIdSize,
                            bottom_ids_at_ + first * kIdSize, bytes.size()));
  }
  if (reread_digest_ && block == reread_blocks_) {
    reread_digest_->update(bytes);
    if (++reread_blocks_ * kBlockIds >= bottom_count_ && reread_digest_->digest() != bottom_id_) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("recipe {}: its object's chunk ids changed since they were verified (read again, they "
                              "no longer hash to its name)",
                              to_hex(bottom_id_)));
    }
  }
  block_.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(i * kIdSize), kIdSize, block_[i].begin());
  }
  block_index_ = block;
}

void for_each_id_block(const catalog::Catalog& catalog, const ObjectStore& objects, const Hash128& id,
                       std::span<const uint8_t> secret, const std::function<void(std::span<const Hash128>)>& visit) {
  StreamedIds ids(catalog, objects, id, secret);
  std::vector<Hash128> block;
  block.reserve(static_cast<size_t>(std::min(ids.size(), StreamedIds::kBlockIds)));
  for (uint64_t index = 0; index < ids.size(); ++index) {
    block.push_back(ids.at(index));
    if (block.size() == StreamedIds::kBlockIds) {
      visit(block);
      block.clear();
    }
  }
  if (!block.empty()) visit(block);
}

}  // namespace certvault::recipe
