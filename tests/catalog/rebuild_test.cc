#include <catch2/catch.hpp>

#include "catalog_test_support.h"
#include "test_support.h"

using namespace catalog_test;

TEST_CASE("a rebuild replaces everything but settings") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  auto catalog = Catalog::open(path);
  catalog->set_setting("chunk_min", "65536");
  const auto old_commit = make_commit(1, 10, "old");
  catalog->commit_snapshot(old_commit);

  catalog->begin_rebuild();
  PackRecord pack{0, "packs/rebuilt.pack", 8192, 1, 50};
  ChunkLocation chunk;
  chunk.id = make_id(42, 10);
  chunk.pack_id = 999;  // ignored
  chunk.offset = 7;
  catalog->add_pack_with_chunks(pack, {chunk});
  RecipeRecord base = make_recipe(42);
  RecipeRecord delta = make_recipe(43);
  delta.base = base.id;
  delta.depth = 1;
  catalog->add_recipe(delta);  // before its base: the check waits for the commit
  catalog->add_recipe(base);
  auto snapshot = make_commit(42, 60, "new").snapshot;
  FileRecord file;
  file.path = "a";
  file.role = "file";
  file.recipe = delta.id;
  catalog->add_snapshot(snapshot, {file}, {{"b", "vanished"}});
  catalog->finish_rebuild();

  CHECK(catalog->setting("chunk_min") == std::optional<std::string>("65536"));
  CHECK_FALSE(catalog->snapshot(old_commit.snapshot.id).has_value());
  CHECK_FALSE(catalog->has_chunk(old_commit.new_chunks[0].id));
  CHECK_FALSE(catalog->has_recipe(old_commit.new_recipes[0].id));
  const auto packs = catalog->packs();
  REQUIRE(packs.size() == 1);
  CHECK(packs[0].name == "packs/rebuilt.pack");
  CHECK(catalog->find_chunk(chunk.id)->pack_id == packs[0].id);
  CHECK(catalog->recipe(delta.id)->base == base.id);
  REQUIRE(catalog->snapshots().size() == 1);
  CHECK(catalog->files(snapshot.id).at(0).recipe == delta.id);
  CHECK(catalog->missing_files(snapshot.id).at(0).reason == "vanished");
  CHECK(catalog->integrity_check() == std::vector<std::string>{"ok"});
}

TEST_CASE("a rebuild left unfinished changes nothing") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  const auto commit = make_commit(1, 10, "ca");
  {
    auto catalog = Catalog::open(path);
    catalog->commit_snapshot(commit);
    catalog->begin_rebuild();
    catalog->add_recipe(make_recipe(2));
  }  // closed without finish_rebuild()
  auto catalog = Catalog::open(path);
  CHECK(catalog->snapshot(commit.snapshot.id).has_value());
  CHECK_FALSE(catalog->has_recipe(make_recipe(2).id));
}

TEST_CASE("a rebuild with a delta recipe whose base never came fails and keeps the old contents") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  const auto commit = make_commit(1, 10, "ca");
  catalog->commit_snapshot(commit);
  catalog->begin_rebuild();
  RecipeRecord delta = make_recipe(3);
  delta.base = make_id(4, 2);
  delta.depth = 1;
  catalog->add_recipe(delta);
  CHECK_THROWS_AS(catalog->finish_rebuild(), CatalogError);
  CHECK(catalog->snapshot(commit.snapshot.id).has_value());
  CHECK_FALSE(catalog->has_recipe(delta.id));
  CHECK_THROWS_AS(catalog->finish_rebuild(), CatalogError);  // no rebuild in progress any more
  try {
    catalog->finish_rebuild();
  } catch (const CatalogError& e) {
    CHECK(e.kind() == certvault::ErrorKind::kInternal);  // a call out of order is certvault's bug
  }
}
