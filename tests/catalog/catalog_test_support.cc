#include "catalog_test_support.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdio>

namespace catalog_test {

std::array<uint8_t, 16> make_id(uint64_t seed, uint8_t tag) {
  std::array<uint8_t, 16> id{};
  for (int i = 0; i < 8; ++i) id[static_cast<size_t>(i)] = static_cast<uint8_t>(seed >> (8 * i));
  id[8] = tag;
  id[15] = 0xA5;
  return id;
}

std::string snapshot_id(uint64_t seed) {
  char text[33];
  std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(seed * 0x9E3779B97F4A7C15ULL),
                static_cast<unsigned long long>(seed));
  return text;
}

RecipeRecord make_recipe(uint64_t seed) {
  RecipeRecord recipe;
  recipe.id = make_id(seed, 2);
  recipe.depth = 0;
  recipe.chunk_count = 2;
  recipe.logical_size = 1000 + seed;
  recipe.body = {1, 2, 3, static_cast<uint8_t>(seed)};
  return recipe;
}

SnapshotCommit make_commit(uint64_t seed, int64_t created_unix, const std::string& source) {
  SnapshotCommit commit;
  auto& s = commit.snapshot;
  s.id = snapshot_id(seed);
  s.created_unix = created_unix;
  s.kind = "full";
  s.source = source;
  s.server = source;
  s.ca_name = "Contoso Root CA";
  s.logical_size = 2000;
  s.added_size = 500;
  s.manifest = "snapshots/" + s.id + ".snap";

  PackRecord pack;
  pack.name = "packs/" + std::to_string(seed) + ".pack";
  pack.size = 4096;
  pack.entry_count = 2;
  pack.created_unix = created_unix;
  commit.new_packs.push_back(pack);
  for (uint8_t i = 0; i < 2; ++i) {
    ChunkLocation chunk;
    chunk.id = make_id(seed, static_cast<uint8_t>(10 + i));
    chunk.pack_id = 0;
    chunk.offset = 64u + 1000u * i;
    chunk.stored_size = 900;
    chunk.raw_size = 1000;
    chunk.flags = 1;
    commit.new_chunks.push_back(chunk);
  }
  commit.new_recipes.push_back(make_recipe(seed));
  for (uint32_t i = 0; i < 2; ++i) {
    FileRecord file;
    file.seq = i;
    file.path = "db/file" + std::to_string(i) + ".edb";
    file.role = i == 0 ? "database" : "log";
    file.type_code = static_cast<uint16_t>(i + 1);
    file.api_path = "C:\\CertLog\\file" + std::to_string(i);
    file.size = 1000;
    file.digest = make_id(seed, static_cast<uint8_t>(20 + i));
    file.recipe = commit.new_recipes[0].id;
    commit.files.push_back(file);
  }
  return commit;
}

int64_t query_int(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  const int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

}  // namespace catalog_test
