// Per-snapshot metadata stays small: an unchanged file adds no chunk list, and
// a 0.5% page change adds catalog bytes well under 10% of the new chunk data.
#include <catch2/catch.hpp>
#include <set>

#include "certvault/operations/ese_headers.h"
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

TEST_CASE("an ESE database is chunked by pages: each rewritten page is one new chunk") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  const size_t page = 8192;
  auto database = random_bytes(page * 2048, 11);  // 16 MiB of incompressible pages
  // A database header as ESE writes it: magic at 4, page size at 236, file type 1 at 667.
  const uint32_t magic = 0x89ABCDEF;
  for (int i = 0; i < 4; ++i) database[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(magic >> (8 * i));
  database[236] = 0x00;
  database[237] = 0x20;
  database[238] = 0x00;
  database[239] = 0x00;
  database[667] = 1;
  // ESE's checksum of the header page (page 0): a folder backup verifies it.
  const uint32_t checksum = ese::header_checksum(std::span<const uint8_t>(database).first(page));
  for (int i = 0; i < 4; ++i) database[static_cast<size_t>(i)] = static_cast<uint8_t>(checksum >> (8 * i));
  write_bytes(source / "ca.edb", database);
  fixture.back_up(source);
  std::set<size_t> pages;
  std::mt19937_64 random(3);
  while (pages.size() < 20) pages.insert(1 + random() % 2047);
  for (size_t p : pages) {
    const auto fresh = random_bytes(page, 5000 + p);
    std::copy(fresh.begin(), fresh.end(), database.begin() + static_cast<std::ptrdiff_t>(p * page));
  }
  write_bytes(source / "ca.edb", database);
  auto repository = fixture.open();
  const auto result = back_up_folder(*repository, {source, {}, {}});
  repository.reset();
  INFO("stored " << result.new_bytes_stored);
  // 20 incompressible pages stored raw, each with its 48-byte entry header, nothing more.
  CHECK(result.new_bytes_stored == 20 * (page + 48));
  CHECK(fixture.exported(result.snapshot_id) == folder_contents(source));
}
