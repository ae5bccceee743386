#include "certvault/repository/stats.h"

#include <unordered_map>
#include <unordered_set>

#include "certvault/repository/repository.h"
#include "pack.h"
#include "recipe_store.h"

namespace certvault {

namespace {

constexpr int64_t kShared = -1;

double ratio(uint64_t numerator, uint64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// Marks the recipe's chunk ids under `owner`; a delta's ids include its base's, so a base shared
// with another snapshot makes the copied chunks shared too.
// In batches, read from the recipe as they are needed (recipe::StreamedIds), so memory does not
// grow with the database (the tally is an upsert: batches add up to the whole list).
void tally_recipe(catalog::Catalog& catalog, const ObjectStore& objects, std::span<const uint8_t> secret,
                  const catalog::Catalog::RecipeUse& use, int64_t owner, bool in_focus) {
  recipe::StreamedIds ids(catalog, objects, use.recipe, secret);
  constexpr uint64_t kBatch = 1u << 16;
  std::vector<catalog::ChunkId> batch;
  for (uint64_t index = 0; index < ids.size(); index += kBatch) {
    batch.clear();
    for (uint64_t i = index; i < std::min(ids.size(), index + kBatch); ++i) batch.push_back(ids.at(i));
    catalog.tally_chunks(batch, owner, in_focus);
  }
}

}  // namespace

RepositoryStats compute_stats(Repository& repository, const std::optional<std::string>& snapshot_id,
                              const std::optional<std::string>& source) {
  auto& catalog = repository.catalog();
  const auto snapshots = catalog.snapshots();
  std::unordered_map<std::string, int64_t> owner_of;
  for (size_t i = 0; i < snapshots.size(); ++i) owner_of.emplace(snapshots[i].id, static_cast<int64_t>(i));

  const bool focused = snapshot_id || source;
  auto in_focus = [&](const catalog::SnapshotRecord& s) {
    return (!snapshot_id || s.id == *snapshot_id) && (!source || s.source == *source);
  };
  std::unordered_set<catalog::Digest, Hash128Hasher> focus_recipes;
  if (focused) {
    for (const auto& s : snapshots) {
      if (!in_focus(s)) continue;
      for (const auto& file : catalog.files(s.id)) focus_recipes.insert(file.recipe);
    }
  }

  RepositoryStats stats;
  stats.indexed = catalog.chunk_totals();
  stats.packs = catalog.pack_totals();
  catalog.begin_chunk_tally();
  try {
    for (const auto& use : catalog.recipe_uses()) {
      int64_t owner = kShared;
      if (use.snapshots == 1) {
        const auto found = owner_of.find(use.only_snapshot);
        if (found != owner_of.end()) owner = found->second;
      }
      tally_recipe(catalog, repository.objects(), repository.config().chunk_id_secret, use, owner,
                   !focused || focus_recipes.count(use.recipe) > 0);
    }
    stats.referenced = catalog.chunk_tally_focus_totals();
    std::unordered_map<int64_t, catalog::Catalog::ChunkTotals> unique;
    for (const auto& totals : catalog.chunk_tally_unique_totals()) unique[totals.owner] = totals.totals;
    catalog.end_chunk_tally();
    for (size_t i = 0; i < snapshots.size(); ++i) {
      const auto& s = snapshots[i];
      if (!in_focus(s)) continue;
      SnapshotUsage usage{s.id, s.logical_size, s.added_size, 0, 0, 0, 0};
      const auto found = unique.find(static_cast<int64_t>(i));
      if (found != unique.end()) {
        usage.unique_chunks = found->second.chunks;
        usage.unique_raw_bytes = found->second.raw_bytes;
        usage.unique_stored_bytes = found->second.stored_bytes;
        usage.unique_pack_bytes = found->second.stored_bytes + found->second.chunks * pack::kEntryHeaderSize;
      }
      stats.logical_bytes += s.logical_size;
      ++stats.snapshots;
      stats.per_snapshot.push_back(std::move(usage));
    }
  } catch (...) {
    catalog.end_chunk_tally();
    throw;
  }
  stats.dedup_ratio = ratio(stats.logical_bytes, stats.referenced.raw_bytes);
  stats.compression_ratio = ratio(stats.referenced.raw_bytes, stats.referenced.stored_bytes);
  return stats;
}

}  // namespace certvault
