// Issue 14: `stats` tallies each recipe's new ids only. Its figures must equal those of the
// former algorithm, kept here as the reference: every named recipe's whole effective chunk list
// tallied under its snapshot. Series with delta chains (in-place edits, insertions, truncations),
// a file shared unchanged between snapshots and series, forgotten snapshots whose recipes stay as
// bases of kept deltas, and every focus (none, each snapshot, each source).
#include <catch2/catch.hpp>
#include <unordered_map>
#include <unordered_set>

#include "certvault/repository/stats.h"
#include "maintenance_fixture.h"
#include "pack.h"
#include "recipe_store.h"

using namespace certvault_test;
namespace fs = std::filesystem;

namespace {

// The algorithm stats used before issue 14's last part, verbatim in its effect.
certvault::RepositoryStats reference_stats(certvault::Repository& repository,
                                           const std::optional<std::string>& snapshot_id,
                                           const std::optional<std::string>& source) {
  auto& catalog = repository.catalog();
  const auto snapshots = catalog.snapshots();
  std::unordered_map<std::string, int64_t> owner_of;
  for (size_t i = 0; i < snapshots.size(); ++i) owner_of.emplace(snapshots[i].id, static_cast<int64_t>(i));
  const bool focused = snapshot_id || source;
  auto in_focus = [&](const certvault::catalog::SnapshotRecord& s) {
    return (!snapshot_id || s.id == *snapshot_id) && (!source || s.source == *source);
  };
  std::set<certvault::catalog::Digest> focus_recipes;
  for (const auto& s : snapshots) {
    if (!focused || !in_focus(s)) continue;
    for (const auto& file : catalog.files(s.id)) focus_recipes.insert(file.recipe);
  }
  certvault::RepositoryStats stats;
  stats.indexed = catalog.chunk_totals();
  stats.packs = catalog.pack_totals();
  catalog.begin_chunk_tally();
  for (const auto& use : catalog.recipe_uses()) {
    int64_t owner = -1;
    if (use.snapshots == 1) owner = owner_of.at(use.only_snapshot);
    catalog.tally_chunks(
        certvault::recipe::load_ids(catalog, repository.objects(), use.recipe, repository.config().chunk_id_secret),
        owner, !focused || focus_recipes.count(use.recipe) > 0);
  }
  stats.referenced = catalog.chunk_tally_focus_totals();
  std::unordered_map<int64_t, certvault::catalog::Catalog::ChunkTotals> unique;
  for (const auto& totals : catalog.chunk_tally_unique_totals()) unique[totals.owner] = totals.totals;
  catalog.end_chunk_tally();
  for (size_t i = 0; i < snapshots.size(); ++i) {
    if (!in_focus(snapshots[i])) continue;
    certvault::SnapshotUsage usage{snapshots[i].id, snapshots[i].logical_size, snapshots[i].added_size, 0, 0, 0, 0};
    if (const auto found = unique.find(static_cast<int64_t>(i)); found != unique.end()) {
      usage.unique_chunks = found->second.chunks;
      usage.unique_raw_bytes = found->second.raw_bytes;
      usage.unique_stored_bytes = found->second.stored_bytes;
      usage.unique_pack_bytes = found->second.stored_bytes + found->second.chunks * certvault::pack::kEntryHeaderSize;
    }
    stats.logical_bytes += snapshots[i].logical_size;
    ++stats.snapshots;
    stats.per_snapshot.push_back(usage);
  }
  return stats;
}

void require_same(const certvault::RepositoryStats& got, const certvault::RepositoryStats& want) {
  CHECK(got.snapshots == want.snapshots);
  CHECK(got.logical_bytes == want.logical_bytes);
  CHECK(got.referenced.chunks == want.referenced.chunks);
  CHECK(got.referenced.raw_bytes == want.referenced.raw_bytes);
  CHECK(got.referenced.stored_bytes == want.referenced.stored_bytes);
  CHECK(got.indexed.chunks == want.indexed.chunks);
  CHECK(got.packs.bytes == want.packs.bytes);
  REQUIRE(got.per_snapshot.size() == want.per_snapshot.size());
  for (size_t i = 0; i < got.per_snapshot.size(); ++i) {
    INFO("snapshot " << want.per_snapshot[i].id);
    CHECK(got.per_snapshot[i].id == want.per_snapshot[i].id);
    CHECK(got.per_snapshot[i].unique_chunks == want.per_snapshot[i].unique_chunks);
    CHECK(got.per_snapshot[i].unique_raw_bytes == want.per_snapshot[i].unique_raw_bytes);
    CHECK(got.per_snapshot[i].unique_stored_bytes == want.per_snapshot[i].unique_stored_bytes);
    CHECK(got.per_snapshot[i].unique_pack_bytes == want.per_snapshot[i].unique_pack_bytes);
  }
}

void check_every_focus(const MaintenanceRepo& repo) {
  auto repository = repo.open(certvault::LockMode::kShared);
  const auto all = certvault::compute_stats(*repository);
  require_same(all, reference_stats(*repository, std::nullopt, std::nullopt));
  uint64_t unique_total = 0;
  for (const auto& usage : all.per_snapshot) unique_total += usage.unique_chunks;
  CHECK(unique_total > 0);  // the series below give snapshots chunks of their own
  std::set<std::string> sources;
  for (const auto& s : repository->catalog().snapshots()) {
    sources.insert(s.source);
    INFO("focus " << s.id);
    require_same(certvault::compute_stats(*repository, s.id), reference_stats(*repository, s.id, std::nullopt));
  }
  for (const auto& source : sources) {
    INFO("source " << source);
    require_same(certvault::compute_stats(*repository, std::nullopt, source),
                 reference_stats(*repository, std::nullopt, source));
  }
}

}  // namespace

TEST_CASE("stats from new ids only equals stats from whole effective lists") {
  MaintenanceRepo repo;
  const auto a = repo.scratch("ca-a");
  const auto b = repo.scratch("ca-b");
  auto database = random_bytes(1u << 20, 1);
  auto journal = random_bytes(300u << 10, 2);
  const auto constant = random_bytes(200u << 10, 3);
  std::mt19937_64 random(7);
  std::vector<std::string> ids_a;
  for (int n = 0; n < 14; ++n) {
    // In-place edits of the database; the journal grows, or loses its head, or is rewritten.
    for (int k = 0; k < 3; ++k) {
      const size_t at = random() % (database.size() - 4096);
      const auto fresh = random_bytes(4096, 100 + n * 3 + k);
      std::copy(fresh.begin(), fresh.end(), database.begin() + static_cast<std::ptrdiff_t>(at));
    }
    const auto extra = random_bytes(20u << 10, 500 + n);
    if (n % 4 == 1) {
      journal.erase(journal.begin(), journal.begin() + (60u << 10));
    } else if (n % 5 == 4) {
      journal = random_bytes(300u << 10, 900 + n);
    } else {
      journal.insert(journal.begin() + static_cast<std::ptrdiff_t>(random() % journal.size()), extra.begin(),
                     extra.end());
    }
    set_folder(a, {{"ca.db", database}, {"journal.bin", journal}, {"constant.bin", constant}});
    ids_a.push_back(repo.back_up(a));
    if (n % 3 == 0) {
      // Another series holding the same constant file and, now and then, this very database.
      set_folder(b, {{"constant.bin", constant}, {"copy.db", n % 2 == 0 ? database : random_bytes(100000, n)}});
      repo.back_up(b);
    }
  }
  {
    auto repository = repo.open(certvault::LockMode::kShared);
    uint64_t deltas = 0;
    repository->catalog().for_each_recipe([&](const certvault::catalog::RecipeRecord& r) { deltas += r.base ? 1 : 0; });
    REQUIRE(deltas > 10);  // the comparison is about delta chains
  }
  check_every_focus(repo);
  // Forgotten snapshots keep their recipes as bases of kept deltas: their chunks count only
  // where a kept effective list holds them.
  repo.forget({ids_a[1], ids_a[2], ids_a[5], ids_a[6], ids_a[7], ids_a[12]});
  check_every_focus(repo);
  repo.prune(0);
  check_every_focus(repo);
}
