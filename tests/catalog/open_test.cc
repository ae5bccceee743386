#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "catalog_test_support.h"
#include "test_support.h"

using namespace catalog_test;

namespace {

void execute_raw(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("a catalog keeps settings and snapshots across reopen") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  {
    auto catalog = Catalog::open(path);
    catalog->set_setting("repository_id", "abc");
    catalog->set_setting("repository_id", "def");
    catalog->commit_snapshot(make_commit(1, 100, "ca1"));
  }
  auto catalog = Catalog::open(path);
  CHECK(catalog->setting("repository_id") == std::optional<std::string>("def"));
  CHECK_FALSE(catalog->setting("absent").has_value());
  REQUIRE(catalog->snapshots().size() == 1);
  CHECK(catalog->has_chunk(make_id(1, 10)));
  CHECK(catalog->integrity_check() == std::vector<std::string>{"ok"});
  CHECK(catalog->size_on_disk() > 0);
}

TEST_CASE("opening a new catalog records its migrations and user_version") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  {
    auto catalog = Catalog::open(path);
    CHECK(catalog->schema_version() >= 1);
  }
  const auto version = query_int(path, "PRAGMA user_version");
  CHECK(version >= 1);
  CHECK(query_int(path, "SELECT count(*) FROM migrations") == version);
  CHECK(query_int(path, "SELECT max(version) FROM migrations") == version);
  CHECK(query_int(path, "SELECT min(applied_unix) FROM migrations") > 1600000000);
  // Reopening applies nothing twice.
  Catalog::open(path);
  CHECK(query_int(path, "SELECT count(*) FROM migrations") == version);
}

TEST_CASE("a catalog from a newer build is refused with its version") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  Catalog::open(path);
  execute_raw(path, "PRAGMA user_version = 999");
  try {
    Catalog::open(path);
    FAIL("a newer catalog was opened");
  } catch (const CatalogError& e) {
    const std::string message = e.what();
    CHECK(message.find("999") != std::string::npos);
    CHECK(message.find("newer") != std::string::npos);
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(e.kind() == certvault::ErrorKind::kRefused);  // not damage: a rebuild would lose nothing but help nothing
  }
}

TEST_CASE("a garbage file at the catalog path gives a clear error") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "catalog.db";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not a database ";
  }
  try {
    Catalog::open(path);
    FAIL("garbage was opened as a catalog");
  } catch (const CatalogError& e) {
    const std::string message = e.what();
    CHECK(message.find("not a database") != std::string::npos);
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(e.kind() == certvault::ErrorKind::kIntegrity);
  }
}

TEST_CASE("a catalog path in a missing folder gives an error naming it") {
  certvault_test::TempFolder folder("catalog");
  const auto path = folder / "no" / "such" / "catalog.db";
  try {
    Catalog::open(path);
    FAIL("opened a catalog in a missing folder");
  } catch (const CatalogError& e) {
    CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
    CHECK(e.kind() == certvault::ErrorKind::kFailure);
  }
}
