// Read-side queries behind `snapshots`, `show`, `diff` and `stats`.
#include <sqlite3.h>

#include <algorithm>
#include <cstring>

#include "certvault/catalog/catalog.h"
#include "statement.h"

namespace certvault::catalog {

namespace {

// Below this many snapshots, indexed lookups per snapshot beat scanning the tag and map tables.
constexpr size_t kPerSnapshotLookupLimit = 64;

Catalog::ChunkTotals totals_of(const Statement& statement, int first_column) {
  return {static_cast<uint64_t>(statement.column_int64(first_column)),
          static_cast<uint64_t>(statement.column_int64(first_column + 1)),
          static_cast<uint64_t>(statement.column_int64(first_column + 2))};
}

}  // namespace

void Catalog::attach_tags_and_restore_maps(std::vector<SnapshotRecord>& snapshots, bool with_restore_map) const {
  if (snapshots.empty()) return;
  auto add_tag = [](SnapshotRecord& s, const Statement& row) { s.tags.push_back(row.column_text(1)); };
  auto add_map_entry = [](SnapshotRecord& s, const Statement& row) {
    s.restore_map.push_back({static_cast<uint16_t>(row.column_int64(1)), row.column_text(2)});
  };
  if (snapshots.size() <= kPerSnapshotLookupLimit) {
    Statement tags(db_, "SELECT snapshot_id, tag FROM snapshot_tags WHERE snapshot_id = ? ORDER BY tag");
    Statement map(db_, "SELECT snapshot_id, type_code, path FROM restore_map WHERE snapshot_id = ? ORDER BY seq");
    for (auto& s : snapshots) {
      tags.reset();
      tags.bind_text(1, s.id);
      while (tags.step()) add_tag(s, tags);
      if (!with_restore_map) continue;
      map.reset();
      map.bind_text(1, s.id);
      while (map.step()) add_map_entry(s, map);
    }
    tags.reset();
    map.reset();
    return;
  }
  // Both tables are keyed by (snapshot_id, ...), so their full scans come out ordered by id: walk
  // them in step with the records sorted by id (a merge join; no per-row hashing or seeking).
  std::vector<SnapshotRecord*> by_id;
  by_id.reserve(snapshots.size());
  for (auto& s : snapshots) by_id.push_back(&s);
  std::sort(by_id.begin(), by_id.end(), [](auto* a, auto* b) { return a->id < b->id; });
  auto scan = [&](const char* sql, auto add) {
    Statement statement(db_, sql);
    size_t next = 0;
    std::string id;
    while (statement.step()) {
      id = statement.column_text(0);
      while (next < by_id.size() && by_id[next]->id < id) ++next;
      if (next == by_id.size()) break;
      if (by_id[next]->id == id) add(*by_id[next], statement);
    }
  };
  scan("SELECT snapshot_id, tag FROM snapshot_tags ORDER BY snapshot_id, tag", add_tag);
  if (with_restore_map) {
    scan("SELECT snapshot_id, type_code, path FROM restore_map ORDER BY snapshot_id, seq", add_map_entry);
  }
}

Catalog::ChunkTotals Catalog::chunk_totals() const {
  Statement statement(db_, "SELECT count(*), coalesce(sum(raw_size), 0), coalesce(sum(stored_size), 0) FROM chunks");
  statement.step();
  return totals_of(statement, 0);
}

Catalog::PackTotals Catalog::pack_totals() const {
  Statement statement(db_, "SELECT count(*), coalesce(sum(size), 0) FROM packs");
  statement.step();
  return {static_cast<uint64_t>(statement.column_int64(0)), static_cast<uint64_t>(statement.column_int64(1))};
}

std::vector<Catalog::RecipeUse> Catalog::recipe_uses() const {
  Statement statement(db_, "SELECT recipe, count(DISTINCT snapshot_id), min(snapshot_id) FROM files GROUP BY recipe");
  std::vector<RecipeUse> uses;
  while (statement.step()) {
    RecipeUse use;
    const auto recipe = statement.column_blob(0);
    if (recipe.size() != use.recipe.size()) {
      throw CatalogError(ErrorKind::kIntegrity, "catalog: recipe_uses: a file's recipe id has " +
                                                    std::to_string(recipe.size()) + " bytes, expected 16");
    }
    std::memcpy(use.recipe.data(), recipe.data(), use.recipe.size());
    use.snapshots = static_cast<uint64_t>(statement.column_int64(1));
    if (use.snapshots == 1) use.only_snapshot = statement.column_text(2);
    uses.push_back(std::move(use));
  }
  return uses;
}

void Catalog::begin_chunk_tally() {
  execute(db_,
          "CREATE TEMP TABLE IF NOT EXISTS chunk_tally(chunk BLOB PRIMARY KEY, owner INTEGER NOT NULL, "
          "focus INTEGER NOT NULL) WITHOUT ROWID",
          "create chunk tally");
  execute(db_, "DELETE FROM temp.chunk_tally", "clear chunk tally");
}

void Catalog::tally_chunks(const std::vector<ChunkId>& ids, int64_t owner, bool in_focus) {
  // One transaction per batch: the temp table is never synced, but autocommit per row still costs.
  const bool own_transaction = sqlite3_get_autocommit(db_) != 0;
  if (own_transaction) execute(db_, "BEGIN", "tally chunks: begin");
  try {
    Statement upsert(
        db_,
        "INSERT INTO temp.chunk_tally(chunk, owner, focus) VALUES (?, ?, ?) ON CONFLICT(chunk) DO UPDATE SET "
        "owner = CASE WHEN owner = excluded.owner THEN owner ELSE -1 END, focus = max(focus, excluded.focus)");
    for (const auto& id : ids) {
      upsert.reset();
      upsert.bind_blob(1, id).bind_int64(2, owner).bind_int64(3, in_focus ? 1 : 0);
      upsert.run();
    }
  } catch (...) {
    if (own_transaction) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (own_transaction) execute(db_, "COMMIT", "tally chunks: commit");
}

std::vector<Catalog::OwnerTotals> Catalog::chunk_tally_unique_totals() {
  Statement statement(db_,
                      "SELECT t.owner, count(*), coalesce(sum(c.raw_size), 0), coalesce(sum(c.stored_size), 0) "
                      "FROM temp.chunk_tally t JOIN chunks c ON c.id = t.chunk WHERE t.owner >= 0 "
                      "GROUP BY t.owner ORDER BY t.owner");
  std::vector<OwnerTotals> totals;
  while (statement.step()) totals.push_back({statement.column_int64(0), totals_of(statement, 1)});
  return totals;
}

Catalog::ChunkTotals Catalog::chunk_tally_focus_totals() {
  Statement statement(db_,
                      "SELECT count(*), coalesce(sum(c.raw_size), 0), coalesce(sum(c.stored_size), 0) "
                      "FROM temp.chunk_tally t JOIN chunks c ON c.id = t.chunk WHERE t.focus = 1");
  statement.step();
  return totals_of(statement, 0);
}

void Catalog::end_chunk_tally() { execute(db_, "DROP TABLE IF EXISTS temp.chunk_tally", "drop chunk tally"); }

}  // namespace certvault::catalog
