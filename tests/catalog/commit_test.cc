#include <catch2/catch.hpp>

#include "catalog_test_support.h"
#include "test_support.h"

using namespace catalog_test;

namespace {

void check_nothing_from(const Catalog& catalog, const SnapshotCommit& commit) {
  CHECK_FALSE(catalog.snapshot(commit.snapshot.id).has_value());
  CHECK(catalog.files(commit.snapshot.id).empty());
  CHECK(catalog.missing_files(commit.snapshot.id).empty());
  for (const auto& chunk : commit.new_chunks) CHECK_FALSE(catalog.has_chunk(chunk.id));
  for (const auto& recipe : commit.new_recipes) CHECK_FALSE(catalog.has_recipe(recipe.id));
}

}  // namespace

TEST_CASE("commit_snapshot round-trips every field") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(7, 1700000000, "ca1.contoso.com");
  auto& s = commit.snapshot;
  s.kind = "incremental";
  s.tags = {"weekly", "before-upgrade"};
  s.parent = snapshot_id(6);
  s.base_full = snapshot_id(5);
  s.gen_low = 17;
  s.gen_high = 4000000000u;
  s.logical_size = (1ull << 40) + 3;
  s.restore_map_raw = {'C', 0, ':', 0, 0, 0, 0, 0, 0xFF, 0x00};
  s.restore_map = {{1, "C:\\CertLog\\ca.edb"}, {2, "C:\\CertLog\\edb00001.log"}};
  commit.files[1].log_generation = 4000000000u;
  commit.missing_files = {{"C:\\CertLog\\gone.log", "deleted between listing and reading"}, {"x", "y"}};
  RecipeRecord delta = make_recipe(8);
  delta.base = commit.new_recipes[0].id;
  delta.depth = 1;
  commit.new_recipes.insert(commit.new_recipes.begin(), delta);  // before its base on purpose
  commit.files[1].recipe = delta.id;
  catalog->commit_snapshot(commit);

  const auto read = catalog->snapshot(s.id);
  REQUIRE(read.has_value());
  CHECK(read->id == s.id);
  CHECK(read->created_unix == s.created_unix);
  CHECK(read->kind == "incremental");
  CHECK(read->source == s.source);
  CHECK(read->server == s.server);
  CHECK(read->ca_name == s.ca_name);
  CHECK(read->tags == std::vector<std::string>{"before-upgrade", "weekly"});  // sorted
  CHECK(read->parent == s.parent);
  CHECK(read->base_full == s.base_full);
  CHECK(read->gen_low == s.gen_low);
  CHECK(read->gen_high == s.gen_high);
  CHECK(read->logical_size == s.logical_size);
  CHECK(read->added_size == s.added_size);
  CHECK(read->restore_map_raw == s.restore_map_raw);
  REQUIRE(read->restore_map.size() == 2);
  CHECK(read->restore_map[1].type_code == 2);
  CHECK(read->restore_map[1].path == s.restore_map[1].path);
  CHECK(read->manifest == s.manifest);

  const auto files = catalog->files(s.id);
  REQUIRE(files.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(files[i].seq == commit.files[i].seq);
    CHECK(files[i].path == commit.files[i].path);
    CHECK(files[i].role == commit.files[i].role);
    CHECK(files[i].type_code == commit.files[i].type_code);
    CHECK(files[i].api_path == commit.files[i].api_path);
    CHECK(files[i].size == commit.files[i].size);
    CHECK(files[i].digest == commit.files[i].digest);
    CHECK(files[i].recipe == commit.files[i].recipe);
    CHECK(files[i].log_generation == commit.files[i].log_generation);
  }
  const auto missing = catalog->missing_files(s.id);
  REQUIRE(missing.size() == 2);
  CHECK(missing[0].path == commit.missing_files[0].path);
  CHECK(missing[0].reason == commit.missing_files[0].reason);

  const auto recipe = catalog->recipe(delta.id);
  REQUIRE(recipe.has_value());
  CHECK(recipe->base == delta.base);
  CHECK(recipe->depth == 1);
  CHECK(recipe->chunk_count == delta.chunk_count);
  CHECK(recipe->logical_size == delta.logical_size);
  CHECK(recipe->body == delta.body);
  CHECK_FALSE(catalog->recipe(commit.new_recipes[1].id)->base.has_value());

  const auto packs = catalog->packs();
  REQUIRE(packs.size() == 1);
  CHECK(packs[0].name == commit.new_packs[0].name);
  CHECK(packs[0].size == 4096);
  CHECK(packs[0].entry_count == 2);
  CHECK(catalog->pack(packs[0].id)->name == packs[0].name);
  const auto chunk = catalog->find_chunk(commit.new_chunks[1].id);
  REQUIRE(chunk.has_value());
  CHECK(chunk->pack_id == packs[0].id);  // the index was translated to the row id
  CHECK(chunk->offset == commit.new_chunks[1].offset);
  CHECK(chunk->stored_size == 900);
  CHECK(chunk->raw_size == 1000);
  CHECK(chunk->flags == 1);
}

TEST_CASE("a snapshot with no optional fields reads back without them") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(1, 5, "folder/path");
  commit.snapshot.server.clear();
  commit.snapshot.kind = "folder";
  catalog->commit_snapshot(commit);
  const auto read = catalog->snapshot(commit.snapshot.id);
  REQUIRE(read.has_value());
  CHECK(read->tags.empty());
  CHECK_FALSE(read->parent.has_value());
  CHECK_FALSE(read->base_full.has_value());
  CHECK_FALSE(read->gen_low.has_value());
  CHECK_FALSE(read->gen_high.has_value());
  CHECK(read->restore_map_raw.empty());
  CHECK(read->restore_map.empty());
  CHECK(read->server.empty());
  CHECK_FALSE(catalog->files(commit.snapshot.id)[0].log_generation.has_value());
}

TEST_CASE("chunks and recipes already present are ignored, not duplicated") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  const auto first = make_commit(1, 10, "ca");
  catalog->commit_snapshot(first);
  auto second = make_commit(2, 20, "ca");
  second.new_chunks.push_back(first.new_chunks[0]);  // re-sent, pointing at the new pack
  second.new_chunks.back().pack_id = 0;
  second.new_recipes.push_back(first.new_recipes[0]);
  second.files[1].recipe = first.new_recipes[0].id;
  catalog->commit_snapshot(second);
  size_t chunk_count = 0;
  catalog->for_each_chunk([&](const ChunkLocation&) { ++chunk_count; });
  CHECK(chunk_count == 4);
  CHECK(catalog->find_chunk(first.new_chunks[0].id)->pack_id == catalog->packs()[0].id);  // first location kept
  CHECK(catalog->files(second.snapshot.id)[1].recipe == first.new_recipes[0].id);
}

TEST_CASE("a commit with a duplicate snapshot id leaves nothing behind") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  catalog->commit_snapshot(make_commit(1, 10, "ca"));
  auto duplicate = make_commit(2, 20, "ca");
  duplicate.snapshot.id = snapshot_id(1);
  CHECK_THROWS_AS(catalog->commit_snapshot(duplicate), CatalogError);
  for (const auto& chunk : duplicate.new_chunks) CHECK_FALSE(catalog->has_chunk(chunk.id));
  CHECK_FALSE(catalog->has_recipe(duplicate.new_recipes[0].id));
  CHECK(catalog->packs().size() == 1);
  CHECK(catalog->snapshots().size() == 1);
  CHECK(catalog->snapshot(snapshot_id(1))->created_unix == 10);
  // The catalog still works afterwards.
  catalog->commit_snapshot(make_commit(3, 30, "ca"));
  CHECK(catalog->snapshots().size() == 2);
}

TEST_CASE("a commit whose file references an unknown recipe leaves nothing behind") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(1, 10, "ca");
  commit.files[1].recipe = make_id(999, 2);
  try {
    catalog->commit_snapshot(commit);
    FAIL("commit with a dangling recipe succeeded");
  } catch (const CatalogError& e) {
    const std::string message = e.what();
    CHECK(message.find("FOREIGN KEY") != std::string::npos);
    CHECK(message.find("statement:") != std::string::npos);
  }
  check_nothing_from(*catalog, commit);
  CHECK(catalog->packs().empty());
}

TEST_CASE("a commit whose chunk names a pack index out of range leaves nothing behind") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(1, 10, "ca");
  commit.new_chunks[1].pack_id = 1;
  CHECK_THROWS_AS(catalog->commit_snapshot(commit), CatalogError);
  check_nothing_from(*catalog, commit);
  CHECK(catalog->packs().empty());
}

TEST_CASE("a delta recipe whose base is missing fails the commit") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(1, 10, "ca");
  commit.new_recipes[0].base = make_id(12345, 2);
  commit.new_recipes[0].depth = 1;
  CHECK_THROWS_AS(catalog->commit_snapshot(commit), CatalogError);
  check_nothing_from(*catalog, commit);
}

TEST_CASE("find_chunk and has_chunk answer for present and absent ids") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  auto commit = make_commit(1, 10, "ca");
  for (uint64_t i = 0; i < 1000; ++i) {
    ChunkLocation chunk;
    chunk.id = make_id(i, 77);
    chunk.offset = i * 10;
    chunk.raw_size = static_cast<uint32_t>(i);
    commit.new_chunks.push_back(chunk);
  }
  catalog->commit_snapshot(commit);
  for (uint64_t i = 0; i < 1000; ++i) {
    const auto found = catalog->find_chunk(make_id(i, 77));
    REQUIRE(found.has_value());
    CHECK(found->offset == i * 10);
    CHECK(found->raw_size == i);
    CHECK(catalog->has_chunk(make_id(i, 77)));
    CHECK_FALSE(catalog->has_chunk(make_id(i, 78)));
    CHECK_FALSE(catalog->find_chunk(make_id(i + 1000, 77)).has_value());
  }
  CHECK_FALSE(catalog->recipe(make_id(5, 5)).has_value());
  CHECK_FALSE(catalog->pack(12345).has_value());
}
