// Per-snapshot metadata stays small: an unchanged file adds no chunk list, and
// a 0.5% page change adds catalog bytes well under 10% of the new chunk data.
#include <catch2/catch.hpp>

#include "repository_fixture.h"

using namespace certvault;
using namespace certvault_test;

TEST_CASE("catalog growth per snapshot is small against the data it adds") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  const size_t page = 8192;
  const size_t pages = 8192;  // 64 MiB database
  auto database = random_bytes(page * pages, 1);
  // Make pages compress like a CA database: half of each page is structured text.
  for (size_t p = 0; p < pages; ++p) {
    for (size_t i = page / 2; i < page; ++i) database[p * page + i] = static_cast<uint8_t>("CN=Contoso "[i % 11]);
  }
  write_bytes(source / "ca.edb", database);
  fixture.back_up(source);
  const auto catalog_size = [&] { return fixture.open(LockMode::kShared)->catalog().size_on_disk(); };

  SECTION("an unchanged file adds no new recipe") {
    const uint64_t before = catalog_size();
    auto repository = fixture.open();
    const auto result = back_up_folder(*repository, {source, {}, {}});
    repository.reset();
    const uint64_t growth = catalog_size() - before;
    INFO("catalog grew " << growth << " bytes for an unchanged 64 MiB file");
    CHECK(growth < 16 * 1024);
    CHECK(result.new_bytes_stored == 0);
  }
  SECTION("0.5% of pages rewritten") {
    std::mt19937_64 random(7);
    const size_t changed = pages / 200;
    for (size_t i = 0; i < changed; ++i) {
      const size_t p = random() % pages;
      const auto fresh = random_bytes(page / 2, 1000 + i);
      std::copy(fresh.begin(), fresh.end(), database.begin() + static_cast<std::ptrdiff_t>(p * page));
    }
    write_bytes(source / "ca.edb", database);
    const uint64_t before = catalog_size();
    auto repository = fixture.open();
    const auto result = back_up_folder(*repository, {source, {}, {}});
    repository.reset();
    const uint64_t growth = catalog_size() - before;
    INFO("catalog grew " << growth << " bytes; new chunk data " << result.new_bytes_stored << " bytes");
    REQUIRE(result.new_bytes_stored > 0);
    CHECK(growth * 10 < result.new_bytes_stored);
    CHECK(fixture.exported(result.snapshot_id) == folder_contents(source));
  }
}
