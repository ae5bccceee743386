// The catalog's part of forget, prune and check. The live set lives in
// temporary tables of this connection, so its size costs disk pages in
// SQLite's temp store, not RAM in the process, however large the repository.
#include <sqlite3.h>

#include <cstring>

#include "certvault/catalog/catalog.h"
#include "pack_choice.h"
#include "row_readers.h"
#include "statement.h"

namespace certvault::catalog {
namespace {

RecipeRecord read_recipe(const Statement& statement) {
  RecipeRecord record;
  record.id = blob_array<16>(statement, 0, "recipe id");
  read_recipe_fields(statement, 1, record);
  return record;
}

uint64_t count(sqlite3* db, const char* sql) {
  Statement statement(db, sql);
  statement.step();
  return static_cast<uint64_t>(statement.column_int64(0));
}

}  // namespace

void Catalog::delete_snapshots(const std::vector<std::string>& ids) {
  Transaction transaction(db_, "delete snapshots");
  // Explicit deletes rather than relying on ON DELETE CASCADE: the rows that
  // go are then visible here, and truncations (no foreign key) visibly stay.
  for (const char* sql : {"DELETE FROM files WHERE snapshot_id = ?", "DELETE FROM snapshot_tags WHERE snapshot_id = ?",
                          "DELETE FROM restore_map WHERE snapshot_id = ?",
                          "DELETE FROM missing_files WHERE snapshot_id = ?", "DELETE FROM snapshots WHERE id = ?"}) {
    Statement statement(db_, sql);
    for (const auto& id : ids) {
      statement.reset();
      statement.bind_text(1, id);
      statement.run();
    }
  }
  transaction.commit();
}

bool Catalog::has_snapshot(const std::string& id) const {
  Statement statement(db_, "SELECT 1 FROM snapshots WHERE id = ?");
  statement.bind_text(1, id);
  return statement.step();
}

bool Catalog::has_pack_named(const std::string& name) const {
  Statement statement(db_, "SELECT 1 FROM packs WHERE name = ?");
  statement.bind_text(1, name);
  return statement.step();
}

Catalog::LiveSetSize Catalog::compute_live_set(
    const std::function<void(const Digest& recipe, const ChunkIdSink& add)>& chunk_ids_of,
    const std::vector<std::string>& without) {
  drop_live_set();
  execute(db_,
          "CREATE TEMP TABLE live_recipes(id BLOB PRIMARY KEY) WITHOUT ROWID; "
          "CREATE TEMP TABLE live_chunks(id BLOB PRIMARY KEY) WITHOUT ROWID; "
          "CREATE TEMP TABLE live_without(id TEXT PRIMARY KEY) WITHOUT ROWID",
          "create live-set tables");
  Transaction transaction(db_, "compute live set");
  {
    Statement insert(db_, "INSERT OR IGNORE INTO temp.live_without(id) VALUES (?)");
    for (const auto& id : without) {
      insert.reset();
      insert.bind_text(1, id);
      insert.run();
    }
  }
  execute(db_,
          "WITH RECURSIVE live(id) AS (SELECT recipe FROM files "
          "WHERE snapshot_id NOT IN (SELECT id FROM temp.live_without) UNION "
          "SELECT r.base FROM recipes r JOIN live ON r.id = live.id WHERE r.base IS NOT NULL) "
          "INSERT INTO temp.live_recipes SELECT id FROM live",
          "collect live recipes");
  // Only the recipes files name: a base that no file names keeps its recipe row (its delta needs
  // its id list) but none of its chunks (issue 14).
  // Ids only: the callback reads each list as it likes (a large one in blocks from its object).
  Statement recipes(db_,
                    "SELECT DISTINCT recipe FROM files "
                    "WHERE snapshot_id NOT IN (SELECT id FROM temp.live_without)");
  Statement insert(db_, "INSERT OR IGNORE INTO temp.live_chunks(id) VALUES (?)");
  const ChunkIdSink add = [&insert](std::span<const ChunkId> ids) {
    for (const auto& id : ids) {
      insert.reset();
      insert.bind_blob(1, id);
      insert.run();
    }
  };
  while (recipes.step()) {
    const auto recipe = blob_array<16>(recipes, 0, "recipe id");
    if (!has_recipe(recipe)) {
      throw CatalogError(ErrorKind::kIntegrity, "catalog: a file names recipe " + hex_of(recipe) +
                                                    ", which has no row (`certvault repair catalog` rebuilds it)");
    }
    chunk_ids_of(recipe, add);
  }
  transaction.commit();
  LiveSetSize size;
  size.recipes = count(db_, "SELECT COUNT(*) FROM recipes WHERE id IN (SELECT id FROM temp.live_recipes)");
  size.dead_recipes = count(db_, "SELECT COUNT(*) FROM recipes WHERE id NOT IN (SELECT id FROM temp.live_recipes)");
  size.chunks = count(db_, "SELECT COUNT(*) FROM temp.live_chunks");
  Statement unindexed(db_,
                      "SELECT id FROM temp.live_chunks l WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = l.id)");
  while (unindexed.step()) {
    if (!size.first_unindexed) size.first_unindexed = blob_array<16>(unindexed, 0, "chunk id");
    ++size.unindexed_chunks;
  }
  return size;
}

uint64_t Catalog::delete_dead_recipes() {
  Transaction transaction(db_, "delete unreferenced recipes");
  execute(db_, "DELETE FROM recipes WHERE id NOT IN (SELECT id FROM temp.live_recipes)", "delete unreferenced recipes");
  const auto deleted = static_cast<uint64_t>(sqlite3_changes(db_));
  transaction.commit();
  return deleted;
}

std::vector<Catalog::PackUsage> Catalog::pack_usage() const {
  // One scan of the chunk index grouped by pack, then joined to the packs (no index by pack).
  Statement statement(db_,
                      "SELECT p.id, p.name, p.size, p.entry_count, p.created_unix, COALESCE(u.chunks, 0), "
                      "COALESCE(u.live, 0), COALESCE(u.live_bytes, 0) FROM packs p LEFT JOIN ("
                      "SELECT c.pack_id AS pack_id, COUNT(*) AS chunks, COUNT(l.id) AS live, "
                      "SUM(CASE WHEN l.id IS NOT NULL THEN c.stored_size ELSE 0 END) AS live_bytes "
                      "FROM chunks c LEFT JOIN temp.live_chunks l ON l.id = c.id GROUP BY c.pack_id) u "
                      "ON u.pack_id = p.id ORDER BY p.id");
  std::vector<PackUsage> usage;
  while (statement.step()) {
    PackUsage pack;
    pack.pack = {statement.column_int64(0), statement.column_text(1), static_cast<uint64_t>(statement.column_int64(2)),
                 static_cast<uint32_t>(statement.column_int64(3)), statement.column_int64(4)};
    pack.chunks = static_cast<uint64_t>(statement.column_int64(5));
    pack.live_chunks = static_cast<uint64_t>(statement.column_int64(6));
    pack.live_stored_bytes = static_cast<uint64_t>(statement.column_int64(7));
    usage.push_back(std::move(pack));
  }
  return usage;
}

void Catalog::delete_packs(const std::vector<int64_t>& pack_ids) {
  if (pack_ids.empty()) return;
  constexpr const char* kChoice = "doomed_packs";
  Transaction transaction(db_, "delete packs");
  choose_packs(db_, kChoice, pack_ids);
  execute(db_, std::string("DELETE FROM chunks WHERE pack_id IN (SELECT id FROM temp.") + kChoice + ")",
          "delete the chunk rows of " + std::to_string(pack_ids.size()) + " packs");
  execute(db_, std::string("DELETE FROM packs WHERE id IN (SELECT id FROM temp.") + kChoice + ")",
          "delete " + std::to_string(pack_ids.size()) + " pack rows");
  forget_pack_choice(db_, kChoice);
  transaction.commit();
}

void Catalog::replace_packs(const std::vector<int64_t>& old_pack_ids, const std::vector<PackRecord>& new_packs,
                            const std::vector<ChunkLocation>& moved_chunks,
                            const std::vector<ChunkId>& dropped_chunks) {
  Transaction transaction(db_, "replace packs");
  std::vector<int64_t> new_ids;
  for (const auto& pack : new_packs) new_ids.push_back(insert_pack_row(pack));
  Statement move(db_,
                 "UPDATE chunks SET pack_id = ?, offset = ?, stored_size = ?, raw_size = ?, flags = ?, "
                 "dictionary_number = ? WHERE id = ?");
  for (const auto& chunk : moved_chunks) {
    if (chunk.pack_id < 0 || static_cast<size_t>(chunk.pack_id) >= new_ids.size()) {
      throw CatalogError(ErrorKind::kInternal, "catalog: replace packs: chunk " + hex_of(chunk.id) +
                                                   " names new pack index " + std::to_string(chunk.pack_id) + " of " +
                                                   std::to_string(new_ids.size()));
    }
    const int64_t number = dictionary_number(chunk.dictionary);
    move.reset();
    move.bind_int64(1, new_ids[static_cast<size_t>(chunk.pack_id)])
        .bind_int64(2, static_cast<int64_t>(chunk.offset))
        .bind_int64(3, chunk.stored_size)
        .bind_int64(4, chunk.raw_size)
        .bind_int64(5, chunk.flags)
        .bind_int64(6, number)
        .bind_blob(7, chunk.id);
    move.run();
  }
  Statement drop_chunk(db_, "DELETE FROM chunks WHERE id = ?");
  for (const auto& id : dropped_chunks) {
    drop_chunk.reset();
    drop_chunk.bind_blob(1, id);
    drop_chunk.run();
  }
  Statement delete_pack(db_, "DELETE FROM packs WHERE id = ?");
  for (const int64_t id : old_pack_ids) {
    delete_pack.reset();
    delete_pack.bind_int64(1, id);
    delete_pack.run();
  }
  transaction.commit();
}

void Catalog::drop_live_set() {
  execute(db_,
          "DROP TABLE IF EXISTS temp.live_recipes; DROP TABLE IF EXISTS temp.live_chunks; "
          "DROP TABLE IF EXISTS temp.live_without",
          "drop live-set tables");
}

std::vector<std::string> Catalog::dangling_references() const {
  constexpr int kLimit = 100;  // per kind: a broken catalog can have millions
  std::vector<std::string> problems;
  {
    Statement statement(db_,
                        "SELECT c.id, c.pack_id, c.offset FROM chunks c LEFT JOIN packs p ON p.id = c.pack_id "
                        "WHERE p.id IS NULL LIMIT " +
                            std::to_string(kLimit));
    while (statement.step()) {
      problems.push_back("chunk " + hex_of(statement.column_blob(0)) + " is indexed in pack id " +
                         std::to_string(statement.column_int64(1)) + " at offset " +
                         std::to_string(statement.column_int64(2)) + ", but no such pack is in the catalog");
    }
  }
  {
    Statement statement(db_,
                        "SELECT c.id, c.dictionary_number, n.id FROM chunks c "
                        "LEFT JOIN dictionary_numbers n ON n.number = c.dictionary_number "
                        "LEFT JOIN dictionaries d ON d.id = n.id WHERE c.dictionary_number != 0 AND d.id IS NULL "
                        "LIMIT " +
                            std::to_string(kLimit));
    while (statement.step()) {
      const std::string chunk = "chunk " + hex_of(statement.column_blob(0));
      problems.push_back(statement.column_is_null(2)
                             ? chunk + " names dictionary number " + std::to_string(statement.column_int64(1)) +
                                   ", which the catalog's dictionary_numbers do not map to a dictionary"
                             : chunk + " was compressed with dictionary " + std::to_string(statement.column_int64(2)) +
                                   ", but no such dictionary is in the catalog");
    }
  }
  {
    Statement statement(db_,
                        "SELECT f.snapshot_id, f.path, f.recipe FROM files f LEFT JOIN recipes r ON r.id = f.recipe "
                        "WHERE r.id IS NULL LIMIT " +
                            std::to_string(kLimit));
    while (statement.step()) {
      problems.push_back("snapshot " + statement.column_text(0) + " file '" + statement.column_text(1) + "': recipe " +
                         hex_of(statement.column_blob(2)) + " is not in the catalog");
    }
  }
  {
    Statement statement(db_,
                        "SELECT r.id, r.base FROM recipes r LEFT JOIN recipes b ON b.id = r.base "
                        "WHERE r.base IS NOT NULL AND b.id IS NULL LIMIT " +
                            std::to_string(kLimit));
    while (statement.step()) {
      problems.push_back("recipe " + hex_of(statement.column_blob(0)) + " is a delta of recipe " +
                         hex_of(statement.column_blob(1)) + ", which is not in the catalog");
    }
  }
  {
    Statement statement(db_,
                        "SELECT f.snapshot_id, f.path FROM files f LEFT JOIN snapshots s ON s.id = f.snapshot_id "
                        "WHERE s.id IS NULL LIMIT " +
                            std::to_string(kLimit));
    while (statement.step()) {
      problems.push_back("file '" + statement.column_text(1) + "' belongs to snapshot " + statement.column_text(0) +
                         ", which is not in the catalog");
    }
  }
  return problems;
}

void Catalog::for_each_recipe(const std::function<void(const RecipeRecord&)>& visit) const {
  Statement statement(db_, "SELECT id, base, depth, chunk_count, logical_size, body FROM recipes");
  while (statement.step()) visit(read_recipe(statement));
}

std::vector<std::pair<std::string, FileRecord>> Catalog::files_using_recipe(const Digest& recipe, size_t limit) const {
  Statement statement(db_,
                      "WITH RECURSIVE dependents(id) AS (SELECT ? UNION "
                      "SELECT r.id FROM recipes r JOIN dependents d ON r.base = d.id) "
                      "SELECT snapshot_id, seq, path, role, type_code, api_path, size, digest, recipe, log_generation "
                      "FROM files WHERE recipe IN (SELECT id FROM dependents) ORDER BY snapshot_id, seq LIMIT ?");
  statement.bind_blob(1, recipe).bind_int64(2, static_cast<int64_t>(limit));
  std::vector<std::pair<std::string, FileRecord>> files;
  while (statement.step()) files.emplace_back(statement.column_text(0), read_file(statement, 1));
  return files;
}

}  // namespace certvault::catalog
