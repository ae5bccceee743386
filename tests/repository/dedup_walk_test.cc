// The snapshot writer walks beside the parent's recipe (issue 16): unchanged chunks are matched by
// position, changed ones looked up, chunk rows staged in the catalog as packs commit. These tests
// check what a user would see: the right bytes back, only changed data stored, and nothing left
// behind by an abandoned snapshot.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "certvault/repository/snapshot_reader.h"
#include "repository_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {

constexpr size_t kPage = 8192;

FileHeader database_header() {
  return {"ca.edb", "database", 0, "", std::nullopt, chunker::Chunking::page_aligned(kPage)};
}

std::vector<uint8_t> read_back(Repository& repository, const std::string& id) {
  return read_back_one_file(repository, id);
}

WrittenFile write_snapshot(Repository& repository, const FileHeader& file, const std::vector<uint8_t>& bytes,
                           const std::optional<std::string>& reference) {
  return write_one_file_snapshot(repository, file, bytes, reference, "walk", 100000);
}

}  // namespace

TEST_CASE("a full after a full stores only the pages changed in place, and each snapshot reads back") {
  RepositoryFixture fixture;
  auto repository = fixture.open();
  auto database = random_bytes(kPage * 3000, 21);  // several packs at the fixture's pack size
  const auto first = write_snapshot(*repository, database_header(), database, std::nullopt);
  CHECK(first.result.new_chunks == 3000);
  std::set<size_t> pages;
  std::mt19937_64 random(4);
  while (pages.size() < 15) pages.insert(random() % 3000);
  auto changed = database;
  for (size_t p : pages) {
    const auto fresh = random_bytes(kPage, 9000 + p);
    std::copy(fresh.begin(), fresh.end(), changed.begin() + static_cast<std::ptrdiff_t>(p * kPage));
  }
  const auto second = write_snapshot(*repository, database_header(), changed, first.id);
  CHECK(second.result.chunks == 3000);
  CHECK(second.result.new_chunks == 15);
  // The same bytes a third time: the recipe is the second's (no new recipe), nothing stored.
  const auto third = write_snapshot(*repository, database_header(), changed, second.id);
  CHECK(third.result.new_chunks == 0);
  CHECK(repository->catalog().files(third.id)[0].recipe == repository->catalog().files(second.id)[0].recipe);
  // A page moved to where another was, and a page that repeats one stored earlier in the file.
  auto moved = changed;
  std::copy(changed.begin() + 5 * kPage, changed.begin() + 6 * kPage, moved.begin() + 700 * kPage);
  const auto fourth = write_snapshot(*repository, database_header(), moved, third.id);
  CHECK(fourth.result.new_chunks == 0);
  CHECK(read_back(*repository, first.id) == database);
  CHECK(read_back(*repository, second.id) == changed);
  CHECK(read_back(*repository, third.id) == changed);
  CHECK(read_back(*repository, fourth.id) == moved);
}

TEST_CASE("content-defined files with an insertion find their chunks again after the shift") {
  RepositoryFixture fixture;
  auto repository = fixture.open();
  const FileHeader log{"edb00001.log", "file", 0, "", std::nullopt, chunker::Chunking::content_defined()};
  const auto original = random_bytes(24u << 20, 31);
  const auto first = write_snapshot(*repository, log, original, std::nullopt);
  auto inserted = original;
  const auto extra = random_bytes(5000, 32);
  inserted.insert(inserted.begin() + (3u << 20), extra.begin(), extra.end());
  const auto second = write_snapshot(*repository, log, inserted, first.id);
  INFO("first: " << first.result.chunks << " chunks; second: " << second.result.new_chunks << " new");
  // The gear table is keyed per repository, so where the boundaries fall around the insertion
  // differs from run to run: the chunk holding it changes, a boundary inside the 5000 new bytes
  // adds one, and the minimum chunk size can carry the change into one or two chunks after it
  // before the cut points meet the old ones again. 3 was exceeded in CI (4); the point is that the
  // stream resynchronises at all, against 2,600+ chunks that a fixed-size cut would all lose.
  CHECK(second.result.new_chunks <= 6);
  CHECK(read_back(*repository, second.id) == inserted);
  // Small enough to be a delta: a few kilobytes of recipe rather than 16 bytes per chunk.
  const auto recipe = repository->catalog().recipe(repository->catalog().files(second.id)[0].recipe);
  REQUIRE(recipe);
  CHECK(recipe->base.has_value());
  CHECK(recipe->body.size() < 4096);
}

TEST_CASE("repeated pages of one file are stored once, and an abandoned snapshot leaves no chunk rows") {
  RepositoryFixture fixture;
  auto repository = fixture.open();
  std::vector<uint8_t> database;
  const auto distinct = random_bytes(kPage * 1500, 41);
  database.insert(database.end(), distinct.begin(), distinct.end());
  database.insert(database.end(), distinct.begin(), distinct.end());  // every page twice
  {
    SnapshotHeader header;
    header.kind = "folder";
    header.source = "walk";
    auto writer = repository->begin_snapshot(header);
    writer->begin_file(database_header());
    writer->write(database);
    const auto result = writer->end_file();
    CHECK(result.new_chunks == 1500);
    // Destroyed without commit: the packs it committed stay as leftovers, their rows do not.
  }
  CHECK(repository->catalog().packs().empty());
  const auto written = write_snapshot(*repository, database_header(), database, std::nullopt);
  CHECK(written.result.new_chunks == 1500);
  CHECK(read_back(*repository, written.id) == database);
}

TEST_CASE("a file of more chunks than a list is held for reads its parent's list from the recipe object") {
  // 512-byte pages: 80,000 chunks in 40 MB, above StreamedIds' threshold of 65,536 ids, so the
  // second snapshot walks beside a list read in blocks from the first's recipe object, and export
  // reads both lists that way (a delta over a streamed full list, and the full list itself).
  RepositoryFixture fixture;
  auto repository = fixture.open();
  const FileHeader small_pages{"ca.edb", "database", 0, "", std::nullopt, chunker::Chunking::page_aligned(512)};
  auto database = random_bytes(512 * 80000, 51);
  const auto first = write_snapshot(*repository, small_pages, database, std::nullopt);
  CHECK(first.result.chunks == 80000);
  auto changed = database;
  for (size_t p = 17; p < 80000; p += 4001) changed[p * 512 + 3] ^= 0x5A;
  const auto second = write_snapshot(*repository, small_pages, changed, first.id);
  CHECK(second.result.new_chunks == 20);
  const auto recipe = repository->catalog().recipe(repository->catalog().files(second.id)[0].recipe);
  REQUIRE(recipe);
  CHECK(recipe->base == repository->catalog().files(first.id)[0].recipe);
  CHECK(read_back(*repository, first.id) == database);
  CHECK(read_back(*repository, second.id) == changed);
}

TEST_CASE("a file's size hint only sizes memory: too small, exact, too large or absent, the snapshot is the same") {
  RepositoryFixture fixture;
  auto repository = fixture.open();
  const auto database = random_bytes(kPage * 700 + 123, 31);  // a torn last page, too
  std::optional<catalog::Digest> recipe;
  for (const uint64_t hint : {uint64_t{0}, uint64_t{kPage}, uint64_t{database.size()}, uint64_t{1} << 40}) {
    INFO("size hint " << hint);
    auto file = database_header();
    file.size_hint = hint;
    const auto written = write_snapshot(*repository, file, database, std::nullopt);
    CHECK(written.result.size == database.size());
    CHECK(read_back(*repository, written.id) == database);
    const auto files = repository->catalog().files(written.id);
    REQUIRE(files.size() == 1);
    if (recipe) CHECK(files[0].recipe == *recipe);  // the same full recipe, whatever the hint
    recipe = files[0].recipe;
  }
}
