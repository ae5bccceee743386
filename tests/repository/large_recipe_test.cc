// A full recipe of at least 65,536 chunks keeps its list in its recipe object only (issue 16):
// the writer spools the list to a temporary file instead of memory, the catalog's row has an
// empty body, and every reader streams the list from the object. These tests drive such a file
// through every command that reads recipes (export, stats, check, forget and prune, repair
// catalog), damage the object, and fail the spool, using 512-byte pages so that 80,000 chunks take
// 40 MB.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "certvault/base/hex.h"
#include "certvault/repository/check.h"
#include "certvault/repository/prune.h"
#include "certvault/repository/repair.h"
#include "certvault/repository/snapshot_forget.h"
#include "certvault/repository/snapshot_reader.h"
#include "certvault/repository/stats.h"
#include "fault_injecting_file_system.h"
#include "keyed_hash.h"
#include "recipe.h"
#include "recipe_store.h"
#include "repository_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {

constexpr size_t kSmallPage = 512;
constexpr size_t kPages = 80000;
constexpr size_t kChangedPages = 20;

FileHeader small_pages() {
  return {"ca.edb", "database", 0, "", std::nullopt, chunker::Chunking::page_aligned(kSmallPage)};
}

std::vector<uint8_t> read_back(Repository& repository, const std::string& id) {
  return read_back_one_file(repository, id);
}

std::string write_snapshot(Repository& repository, const std::vector<uint8_t>& bytes,
                           const std::optional<std::string>& reference) {
  return write_one_file_snapshot(repository, small_pages(), bytes, reference, "large", 1 << 20).id;
}

std::filesystem::path recipe_object_path(const RepositoryFixture& fixture, const catalog::Digest& id) {
  const auto hex = to_hex(id);
  return fixture.repo_path() / "recipes" / hex.substr(0, 2) / (hex + ".recipe");
}

struct LargeSeries {
  RepositoryFixture fixture;
  std::vector<uint8_t> first_bytes = random_bytes(kSmallPage * kPages, 61);
  std::vector<uint8_t> second_bytes;
  std::string first, second;
  catalog::Digest full_recipe{}, delta_recipe{};

  LargeSeries() {
    second_bytes = first_bytes;
    for (size_t p = 11; p < kPages && p < 11 + kChangedPages * 3999; p += 3999)
      second_bytes[p * kSmallPage + 7] ^= 0x3C;
    auto repository = fixture.open();
    first = write_snapshot(*repository, first_bytes, std::nullopt);
    second = write_snapshot(*repository, second_bytes, first);
    full_recipe = repository->catalog().files(first)[0].recipe;
    delta_recipe = repository->catalog().files(second)[0].recipe;
  }
};

}  // namespace

TEST_CASE("a full recipe of 65,536 chunks or more lives in its object only, and every reader finds it there") {
  LargeSeries series;
  {
    auto repository = series.fixture.open(LockMode::kShared);
    auto& catalog = repository->catalog();
    const auto full = catalog.recipe(series.full_recipe);
    REQUIRE(full);
    CHECK_FALSE(full->base);
    CHECK(full->chunk_count == kPages);
    CHECK(full->body.empty());  // the list is only in the object
    const auto delta = catalog.recipe(series.delta_recipe);
    REQUIRE(delta);
    CHECK(delta->base == series.full_recipe);
    CHECK_FALSE(delta->body.empty());  // a delta's few ops stay in the catalog
    CHECK(std::filesystem::file_size(recipe_object_path(series.fixture, series.full_recipe)) > kPages * 16);

    CHECK(read_back(*repository, series.first) == series.first_bytes);
    CHECK(read_back(*repository, series.second) == series.second_bytes);

    const auto stats = compute_stats(*repository);
    CHECK(stats.referenced.chunks == kPages + kChangedPages);
    REQUIRE(stats.per_snapshot.size() == 2);
    CHECK(stats.per_snapshot[0].unique_chunks == kChangedPages);  // the pages the second changed
    CHECK(stats.per_snapshot[1].unique_chunks == kChangedPages);

    const auto report = check_repository(*repository, {true, 0, {}});
    INFO(fmt::format("{}", fmt::join(report.problems, "\n")));
    CHECK(report.ok());
    CHECK(report.recipes == 2);
    CHECK(report.files_verified == 2);
  }

  SECTION("forget and prune keep every chunk the kept snapshot's streamed list names") {
    {
      auto repository = series.fixture.open();
      forget_snapshots(*repository, {series.second});
      const auto pruned = prune_repository(*repository, {0, false, {}});
      CHECK(pruned.live_chunks == kPages);
      CHECK(pruned.chunks_removed == kChangedPages);
    }
    auto repository = series.fixture.open(LockMode::kShared);
    CHECK(read_back(*repository, series.first) == series.first_bytes);
    CHECK(check_repository(*repository, {true, 0, {}}).ok());
  }

  SECTION("a rebuilt catalog keeps the list in the object only, and reads the same bytes") {
    std::filesystem::remove(series.fixture.repo_path() / "catalog.db");
    const auto repaired = repair_catalog(series.fixture.repo_path());
    CHECK(repaired.problems.empty());
    CHECK(repaired.recipes == 2);
    auto repository = series.fixture.open(LockMode::kShared);
    const auto full = repository->catalog().recipe(series.full_recipe);
    REQUIRE(full);
    CHECK(full->body.empty());
    CHECK(read_back(*repository, series.second) == series.second_bytes);
    CHECK(check_repository(*repository, {false, 0, {}}).ok());
  }

  SECTION("a damaged list is found by check and refused by export, stats and prune, naming the recipe") {
    const auto path = recipe_object_path(series.fixture, series.full_recipe);
    {
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
      char byte = 0;
      file.read(&byte, 1);
      file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
      byte = static_cast<char>(byte ^ 0x01);
      file.write(&byte, 1);
    }
    const auto name = to_hex(series.full_recipe);
    {
      auto repository = series.fixture.open(LockMode::kShared);
      const auto report = check_repository(*repository, {false, 0, {}});
      CHECK_FALSE(report.ok());
      CHECK(fmt::format("{}", fmt::join(report.problems, "\n")).find(name) != std::string::npos);
      CHECK_THROWS_WITH(read_back(*repository, series.second), Catch::Contains(name));
      CHECK_THROWS_WITH(compute_stats(*repository), Catch::Contains(name));
    }
    auto repository = series.fixture.open();
    CHECK_THROWS_WITH(prune_repository(*repository, {0, false, {}}), Catch::Contains(name));
    CHECK(repository->catalog().chunk_totals().chunks == kPages + kChangedPages);  // prune removed nothing
  }
}

namespace {

size_t spool_files_left(const RepositoryFixture& fixture) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixture.repo_path())) {
    if (entry.path().filename().string().starts_with(".tmp-recipe-ids-")) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("a spooled full recipe is the object an in-memory list gives: same name, same bytes") {
  RepositoryFixture fixture;
  auto repository = fixture.open();
  const auto bytes = random_bytes(kSmallPage * kPages, 62);
  const auto id = write_snapshot(*repository, bytes, std::nullopt);
  CHECK(spool_files_left(fixture) == 0);  // the spool went with the snapshot writer
  const auto file = repository->catalog().files(id).at(0);

  // The same list encoded in memory, as recipe::encode_full() writes every smaller one.
  recipe::ChunkList ids;
  const auto secret = std::span<const uint8_t>(repository->config().chunk_id_secret);
  for (size_t p = 0; p < kPages; ++p)
    ids.push_back(keyed_hash128(std::span(bytes).subspan(p * kSmallPage, kSmallPage), secret));
  catalog::RecipeRecord record;
  record.body = recipe::encode_full(ids);
  record.id = keyed_hash128(record.body, secret);
  record.chunk_count = kPages;
  record.logical_size = bytes.size();
  CHECK(file.recipe == record.id);
  CHECK(repository->objects().read_all(recipe::object_name(record.id)) == recipe::encode_object(record));
}

TEST_CASE("a spool that cannot be written or read back fails the backup cleanly, and the next one succeeds") {
  RepositoryFixture fixture;
  const auto bytes = random_bytes(kSmallPage * kPages, 63);
  for (const auto& fault :
       {Fault{FaultKind::kNoSpace, 1, {}, ".tmp-recipe-ids-"}, Fault{FaultKind::kNoSpace, 3, {}, ".tmp-recipe-ids-"},
        Fault{FaultKind::kIoError, 2, {Call::kRead}, ".tmp-recipe-ids-"},
        Fault{FaultKind::kShortRead, 8, {}, ".tmp-recipe-ids-"}}) {
    INFO("fault " << static_cast<int>(fault.kind) << " at " << fault.at);
    FaultInjectingFileSystem files;
    files.add(fault);
    {
      certvault::os::ScopedFileSystem scope(files);
      auto repository = fixture.open();
      CHECK_THROWS_WITH(write_snapshot(*repository, bytes, std::nullopt), Catch::Contains(".tmp-recipe-ids-"));
    }
    CHECK(files.injected().size() == 1);
    CHECK(spool_files_left(fixture) == 0);
    auto repository = fixture.open(LockMode::kShared);
    CHECK(repository->catalog().snapshots().empty());  // nothing committed
  }
  auto repository = fixture.open();
  const auto id = write_snapshot(*repository, bytes, std::nullopt);
  CHECK(read_back(*repository, id) == bytes);
  CHECK(check_repository(*repository, {true, 0, {}}).ok());
}

TEST_CASE("at the threshold and just past it, and a full list written after a base, every form reads back") {
  // 65,535 ids: a row with its body; 65,536: held in memory, kept in the object only; 65,537: the
  // first spooled list; then a base followed by a file whose pages all changed (no delta pays off,
  // so the full list is built in memory from the base's walk, and kept in the object only).
  RepositoryFixture fixture;
  auto repository = fixture.open();
  for (const size_t pages : {size_t{65535}, size_t{65536}, size_t{65537}}) {
    INFO(pages << " pages");
    const auto bytes = random_bytes(kSmallPage * pages, 70 + pages);
    const auto id = write_snapshot(*repository, bytes, std::nullopt);
    const auto row = repository->catalog().recipe(repository->catalog().files(id).at(0).recipe);
    REQUIRE(row);
    CHECK(row->chunk_count == pages);
    CHECK(row->body.empty() == (pages >= 65536));
    CHECK(read_back(*repository, id) == bytes);
  }
  const auto base_bytes = random_bytes(kSmallPage * 66000, 80);
  const auto base = write_snapshot(*repository, base_bytes, std::nullopt);
  const auto changed_bytes = random_bytes(kSmallPage * 66000, 81);
  const auto changed = write_snapshot(*repository, changed_bytes, base);
  const auto row = repository->catalog().recipe(repository->catalog().files(changed).at(0).recipe);
  REQUIRE(row);
  CHECK_FALSE(row->base);  // a full list, not a delta
  CHECK(row->body.empty());
  CHECK(read_back(*repository, changed) == changed_bytes);
  CHECK(read_back(*repository, base) == base_bytes);
  CHECK(spool_files_left(fixture) == 0);
  const auto report = check_repository(*repository, {true, 0, {}});
  INFO(fmt::format("{}", fmt::join(report.problems, "\n")));
  CHECK(report.ok());
  CHECK(compute_stats(*repository).referenced.chunks == 65535 + 65536 + 65537 + 66000 + 66000);
}

TEST_CASE("a list read again after its verification and found changed stops prune before it removes anything") {
  // The recipe object verifies when opened; prune's walk then reads its blocks again. A byte flipped
  // in one of those later reads (a failing disk, a file changed under us) would drop an id from the
  // live set, and prune would remove a chunk the snapshot needs: the blocks read in order are hashed
  // again, and the walk fails at its end instead.
  LargeSeries series;
  const auto object = recipe_object_path(series.fixture, series.full_recipe).filename().string();
  uint64_t chunks_before = 0;
  {
    auto repository = series.fixture.open(LockMode::kShared);
    chunks_before = repository->catalog().chunk_totals().chunks;
  }
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kFlippedByte, 12, {}, object});  // past the opening reads, inside the walk
  {
    certvault::os::ScopedFileSystem scope(files);
    auto repository = series.fixture.open();
    forget_snapshots(*repository, {series.first});
    CHECK_THROWS_WITH(
        prune_repository(*repository, {0, false, {}}),
        Catch::Contains(to_hex(series.full_recipe)) && Catch::Contains("changed since they were verified"));
  }
  CHECK(files.injected().size() == 1);
  auto repository = series.fixture.open();
  CHECK(repository->catalog().chunk_totals().chunks == chunks_before);  // nothing removed
  CHECK(read_back(*repository, series.second) == series.second_bytes);
  const auto pruned = prune_repository(*repository, {0, false, {}});  // without the fault: the forgotten pages go
  CHECK(pruned.chunks_removed == kChangedPages);
  CHECK(read_back(*repository, series.second) == series.second_bytes);
}
