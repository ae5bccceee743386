// Schema 4 (issue 16): a schema-3 catalog (the v2 golden repository's) migrates in place and
// keeps every chunk location, dictionary included; the index by pack is gone.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "catalog_test_support.h"
#include "test_support.h"

using namespace catalog_test;
namespace fs = std::filesystem;

namespace {

using Row = std::tuple<int64_t, uint64_t, uint32_t, uint32_t, uint16_t, uint32_t>;

Row row_of(const ChunkLocation& c) { return {c.pack_id, c.offset, c.stored_size, c.raw_size, c.flags, c.dictionary}; }

// The chunk rows of a schema-3 file, read with its own encoding (dictionary in flags' bits 16..47).
std::map<ChunkId, Row> schema3_rows(const fs::path& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, pack_id, offset, stored_size, raw_size, flags FROM chunks", -1, &statement,
                             nullptr) == SQLITE_OK);
  std::map<ChunkId, Row> rows;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    ChunkId id{};
    REQUIRE(sqlite3_column_bytes(statement, 0) == 16);
    std::memcpy(id.data(), sqlite3_column_blob(statement, 0), 16);
    const auto flags = static_cast<uint64_t>(sqlite3_column_int64(statement, 5));
    rows[id] = {sqlite3_column_int64(statement, 1),
                static_cast<uint64_t>(sqlite3_column_int64(statement, 2)),
                static_cast<uint32_t>(sqlite3_column_int64(statement, 3)),
                static_cast<uint32_t>(sqlite3_column_int64(statement, 4)),
                static_cast<uint16_t>(flags & 0xffff),
                static_cast<uint32_t>(flags >> 16)};
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

}  // namespace

TEST_CASE(
    "catalog migration: a schema-3 catalog migrates in place to the current schema and keeps every chunk location") {
  certvault_test::TempFolder folder("catalog-migration");
  const auto path = folder / "catalog.db";
  fs::copy_file(fs::path(CERTVAULT_SOURCE_DIR) / "tests/golden/v2/ca/repo/catalog.db", path);
  REQUIRE(catalog_test::query_int(path, "PRAGMA user_version") == 3);
  const auto before = schema3_rows(path);
  REQUIRE(before.size() > 100);
  size_t with_dictionary = 0;
  for (const auto& [id, row] : before) with_dictionary += std::get<5>(row) != 0 ? 1 : 0;
  REQUIRE(with_dictionary > 0);  // the golden's pages were compressed with a dictionary

  auto catalog = Catalog::open(path);
  CHECK(catalog->schema_version() == 5);
  std::map<ChunkId, Row> after;
  catalog->for_each_chunk([&](const ChunkLocation& c) { after[c.id] = row_of(c); });
  CHECK(after == before);
  for (const auto& [id, row] : before) {
    const auto found = catalog->find_chunk(id);
    REQUIRE(found.has_value());
    CHECK(row_of(*found) == row);
  }
  CHECK(catalog->dictionaries_in_use().size() == 1);
  CHECK(catalog->dangling_references().empty());
  CHECK(catalog->integrity_check() == std::vector<std::string>{"ok"});
  catalog.reset();
  CHECK(catalog_test::query_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'chunks_by_pack'") == 0);
  CHECK(catalog_test::query_int(path, "SELECT max(version) FROM migrations") == 5);
  CHECK(catalog_test::query_int(path, "PRAGMA freelist_count") == 0);  // the old table's pages went back (VACUUM)
}

TEST_CASE("catalog PackChunks: one pass hands out each asked pack's rows by offset, with liveness") {
  certvault_test::TempFolder folder("catalog-pack-chunks");
  auto catalog = Catalog::open(folder / "catalog.db");
  // Ten packs of three chunks, committed in an order that interleaves their ids.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    auto commit = make_commit(seed, 1000 + static_cast<int64_t>(seed), "ca");
    auto third = commit.new_chunks.back();
    third.id = make_id(seed, 20);
    third.offset = 8;  // first in the pack
    third.dictionary = seed % 2 == 0 ? 0x12345678u : 0u;
    commit.new_chunks.push_back(third);
    commit.files.clear();
    commit.new_recipes.clear();
    catalog->commit_snapshot(commit);
  }
  const auto packs = catalog->packs();
  REQUIRE(packs.size() == 10);
  std::vector<int64_t> asked = {packs[7].id, packs[2].id, packs[5].id};
  PackChunks rows(*catalog, asked, false);
  CHECK(rows.next(packs[0].id).empty());  // not asked for
  const auto third = rows.next(packs[2].id);
  REQUIRE(third.size() == 3);
  CHECK(third[0].location.offset == 8);
  CHECK(third[0].location.dictionary == 0);
  CHECK(third[1].location.offset < third[2].location.offset);
  CHECK(third[0].location.pack_id == packs[2].id);
  const auto sixth = rows.next(packs[5].id);
  REQUIRE(sixth.size() == 3);
  CHECK(sixth[0].location.dictionary == 0x12345678u);
  CHECK(rows.next(packs[6].id).empty());
  CHECK(rows.next(packs[7].id).size() == 3);
  CHECK(rows.next(packs[9].id).empty());
}

TEST_CASE("catalog delete_packs and replace_packs remove exactly the packs' rows, without an index by pack") {
  certvault_test::TempFolder folder("catalog-pack-replace");
  auto catalog = Catalog::open(folder / "catalog.db");
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    auto commit = make_commit(seed, 1000 + static_cast<int64_t>(seed), "ca");
    commit.new_chunks[1].dictionary = 7;
    commit.new_dictionaries.push_back({7, "database", "dicts/00000007.dict", 100, 500000, 1});
    catalog->commit_snapshot(commit);
  }
  auto packs = catalog->packs();
  catalog->delete_packs({packs[0].id, packs[3].id});
  CHECK(catalog->packs().size() == 4);
  CHECK_FALSE(catalog->has_chunk(make_id(1, 10)));
  CHECK_FALSE(catalog->has_chunk(make_id(4, 11)));
  CHECK(catalog->has_chunk(make_id(2, 10)));

  // Pack 2's second chunk moves into a new pack, its first is dropped.
  std::vector<ChunkLocation> moved;
  std::vector<ChunkId> dropped;
  {
    PackChunks rows(*catalog, {packs[1].id}, false);
    const auto old_rows = rows.next(packs[1].id);
    REQUIRE(old_rows.size() == 2);
    dropped.push_back(old_rows[0].location.id);
    moved.push_back(old_rows[1].location);
  }
  moved[0].pack_id = 0;
  moved[0].offset = 16;
  PackRecord fresh{0, "packs/fresh.pack", 2000, 1, 2000};
  catalog->replace_packs({packs[1].id}, {fresh}, moved, dropped);
  CHECK_FALSE(catalog->has_chunk(make_id(2, 10)));
  const auto kept = catalog->find_chunk(make_id(2, 11));
  REQUIRE(kept.has_value());
  CHECK(kept->offset == 16);
  CHECK(kept->dictionary == 7);
  CHECK(catalog->pack(kept->pack_id)->name == "packs/fresh.pack");
  CHECK_FALSE(catalog->pack(packs[1].id).has_value());
  CHECK(catalog->dangling_references().empty());
  CHECK(catalog->dictionaries_in_use() == std::vector<uint32_t>{7});
}

TEST_CASE("catalog dangling_references names a chunk whose dictionary has no row, by its zstd id") {
  certvault_test::TempFolder folder("catalog-dangling-dictionary");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(1, 1000, "ca");
  commit.new_chunks[0].dictionary = 0x2468ace;  // no dictionary row in the commit
  catalog->commit_snapshot(commit);
  const auto problems = catalog->dangling_references();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("dictionary " + std::to_string(0x2468ace)) != std::string::npos);
  CHECK(problems[0].find("no such dictionary") != std::string::npos);
  CHECK(catalog->find_chunk(commit.new_chunks[0].id)->dictionary == 0x2468aceu);
}

TEST_CASE("catalog migration 5: every recipe row keeps its body; the version keeps older builds off") {
  certvault_test::TempFolder folder("catalog-migration-5");
  const auto path = folder / "catalog.db";
  std::vector<RecipeRecord> recipes;
  {
    auto catalog = Catalog::open(path);
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      auto commit = catalog_test::make_commit(seed, 1000 + static_cast<int64_t>(seed), "ca");
      auto& recipe = commit.new_recipes[0];
      // A full recipe at the threshold, one just below it, and a large delta.
      recipe.chunk_count = seed == 1 ? 65536 : seed == 2 ? 65535 : 70000;
      if (seed == 3) {
        recipe.base = recipes[0].id;
        recipe.depth = 1;
      }
      recipe.body.assign(64, static_cast<uint8_t>(seed));
      recipes.push_back(recipe);
      catalog->commit_snapshot(commit);
    }
  }
  // Back to schema 4, as a catalog written before migration 5 would be.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DELETE FROM migrations WHERE version = 5; PRAGMA user_version = 4", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto catalog = Catalog::open(path);
  CHECK(catalog->schema_version() == 5);
  // The large full row keeps its body: it may be the only intact copy of a damaged object.
  for (const auto& recipe : recipes) CHECK(catalog->recipe(recipe.id)->body == recipe.body);
  CHECK(catalog->integrity_check() == std::vector<std::string>{"ok"});
}
