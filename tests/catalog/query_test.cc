#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>

#include "catalog_test_support.h"
#include "test_support.h"

using namespace catalog_test;

namespace {

std::vector<std::string> ids_of(const std::vector<SnapshotRecord>& snapshots) {
  std::vector<std::string> ids;
  for (const auto& s : snapshots) ids.push_back(s.id);
  return ids;
}

// Three snapshots of ca1 and two of ca2, committed out of time order.
void fill(Catalog& catalog) {
  const struct {
    uint64_t seed;
    int64_t created;
    const char* server;
    const char* kind;
    std::vector<std::string> tags;
  } rows[] = {{3, 300, "ca1", "incremental", {"daily"}},
              {1, 100, "ca1", "full", {"weekly", "daily"}},
              {2, 200, "ca2", "full", {}},
              {4, 400, "ca2", "incremental", {"daily"}},
              {5, 500, "ca1", "incremental", {}}};
  for (const auto& row : rows) {
    auto commit = make_commit(row.seed, row.created, row.server);
    commit.snapshot.kind = row.kind;
    commit.snapshot.tags = row.tags;
    catalog.commit_snapshot(commit);
  }
}

}  // namespace

TEST_CASE("snapshots are listed oldest first and filtered") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  fill(*catalog);
  CHECK(ids_of(catalog->snapshots()) ==
        std::vector<std::string>{snapshot_id(1), snapshot_id(2), snapshot_id(3), snapshot_id(4), snapshot_id(5)});
  SnapshotFilter by_server;
  by_server.server = "ca1";
  CHECK(ids_of(catalog->snapshots(by_server)) ==
        std::vector<std::string>{snapshot_id(1), snapshot_id(3), snapshot_id(5)});
  SnapshotFilter by_source;
  by_source.source = "ca2";
  CHECK(ids_of(catalog->snapshots(by_source)) == std::vector<std::string>{snapshot_id(2), snapshot_id(4)});
  SnapshotFilter by_kind;
  by_kind.kind = "full";
  CHECK(ids_of(catalog->snapshots(by_kind)) == std::vector<std::string>{snapshot_id(1), snapshot_id(2)});
  SnapshotFilter by_tag;
  by_tag.tag = "daily";
  CHECK(ids_of(catalog->snapshots(by_tag)) == std::vector<std::string>{snapshot_id(1), snapshot_id(3), snapshot_id(4)});
  SnapshotFilter since;
  since.since_unix = 300;
  CHECK(ids_of(catalog->snapshots(since)) == std::vector<std::string>{snapshot_id(3), snapshot_id(4), snapshot_id(5)});
  SnapshotFilter combined;
  combined.server = "ca1";
  combined.kind = "incremental";
  combined.tag = "daily";
  CHECK(ids_of(catalog->snapshots(combined)) == std::vector<std::string>{snapshot_id(3)});
  SnapshotFilter nothing;
  nothing.server = "ca3";
  CHECK(catalog->snapshots(nothing).empty());
}

TEST_CASE("latest_snapshot returns the newest matching snapshot") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  CHECK_FALSE(catalog->latest_snapshot({}).has_value());
  fill(*catalog);
  SnapshotFilter ca1;
  ca1.server = "ca1";
  CHECK(catalog->latest_snapshot(ca1)->id == snapshot_id(5));
  SnapshotFilter ca1_full = ca1;
  ca1_full.kind = "full";
  CHECK(catalog->latest_snapshot(ca1_full)->id == snapshot_id(1));
  CHECK(catalog->latest_snapshot({})->id == snapshot_id(5));
  SnapshotFilter none;
  none.server = "nope";
  CHECK_FALSE(catalog->latest_snapshot(none).has_value());
}

TEST_CASE("snapshot ids are found by prefix") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  for (const char* id : {"ab000000000000000000000000000001", "ab000000000000000000000000000002",
                         "abc00000000000000000000000000003", "b0000000000000000000000000000004"}) {
    auto commit = make_commit(static_cast<uint64_t>(id[31]), 1, "ca");
    commit.snapshot.id = id;
    catalog->commit_snapshot(commit);
  }
  CHECK(catalog->snapshot_ids_with_prefix("ab").size() == 3);
  CHECK(catalog->snapshot_ids_with_prefix("abc") == std::vector<std::string>{"abc00000000000000000000000000003"});
  CHECK(catalog->snapshot_ids_with_prefix("ab0") ==
        std::vector<std::string>{"ab000000000000000000000000000001", "ab000000000000000000000000000002"});
  CHECK(catalog->snapshot_ids_with_prefix("c").empty());
  CHECK(catalog->snapshot_ids_with_prefix("b0000000000000000000000000000004").size() == 1);
  CHECK(catalog->snapshot_ids_with_prefix("").size() == 4);
  CHECK(catalog->snapshot_ids_with_prefix("a%").empty());  // no LIKE wildcards
}

TEST_CASE("truncation records survive the snapshot and reopen") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  const std::string id = snapshot_id(1);
  {
    auto catalog = Catalog::open(path);
    catalog->commit_snapshot(make_commit(1, 10, "ca"));
    catalog->record_truncation({id, 1234, static_cast<int32_t>(0x80070005u), "access denied", "failed"});
    catalog->record_truncation({id, 1235, 0, "ok", "truncated"});
    catalog->begin_rebuild();  // forgets every snapshot
    catalog->finish_rebuild();
    CHECK_FALSE(catalog->snapshot(id).has_value());
  }
  auto catalog = Catalog::open(path);
  const auto records = catalog->truncations(id);
  REQUIRE(records.size() == 2);
  CHECK(records[0].snapshot_id == id);
  CHECK(records[0].time_unix == 1234);
  CHECK(records[0].hresult == static_cast<int32_t>(0x80070005u));
  CHECK(records[0].message == "access denied");
  CHECK(records[1].time_unix == 1235);
  CHECK(catalog->truncations(snapshot_id(2)).empty());
  catalog->record_truncation({snapshot_id(2), 2000, 1, "later", "failed"});
  const auto all = catalog->all_truncations();
  REQUIRE(all.size() == 3);
  CHECK(all[0].time_unix == 1234);
  CHECK(all[2].snapshot_id == snapshot_id(2));
  CHECK(all[2].message == "later");
}

TEST_CASE("10,000 snapshots are listed correctly") {
  certvault_test::TempFolder folder("catalog");
  auto catalog = Catalog::open(folder / "catalog.db");
  constexpr uint64_t kCount = 10000;
  // One commit per snapshot would fsync 10,000 times; the rebuild API writes them in one transaction.
  catalog->begin_rebuild();
  catalog->add_recipe(make_recipe(0));
  for (uint64_t i = 0; i < kCount; ++i) {
    auto commit = make_commit(i, static_cast<int64_t>(kCount - i), i % 2 ? "ca1" : "ca2");
    commit.snapshot.tags = {i % 10 == 0 ? "tenth" : "other"};
    for (auto& file : commit.files) file.recipe = make_recipe(0).id;
    catalog->add_snapshot(commit.snapshot, commit.files, {});
  }
  catalog->finish_rebuild();
  const auto start = std::chrono::steady_clock::now();
  const auto all = catalog->snapshots();
  const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "listing " << kCount << " snapshots took " << elapsed << " ms\n";
  REQUIRE(all.size() == kCount);
  for (size_t i = 1; i < all.size(); ++i) REQUIRE(all[i - 1].created_unix <= all[i].created_unix);
  CHECK(all.front().id == snapshot_id(kCount - 1));
  CHECK(all.back().id == snapshot_id(0));
  SnapshotFilter server;
  server.server = "ca1";
  CHECK(catalog->snapshots(server).size() == kCount / 2);
  SnapshotFilter tag;
  tag.tag = "tenth";
  CHECK(catalog->snapshots(tag).size() == kCount / 10);
}
