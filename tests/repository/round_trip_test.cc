#include <catch2/catch.hpp>

#include "certvault//base/error.h"
#include "certvault/repository/snapshot_reader.h"
#include "repository_fixture.h"

using namespace certvault;
using namespace certvault_test;

TEST_CASE("files of edge sizes round-trip byte-identical") {
  RepositoryFixture fixture;
  const auto params = chunker::Params::from_average(InitOptions{}.chunk_avg);
  const auto source = fixture.scratch("source");
  const std::vector<std::pair<std::string, size_t>> sizes = {{"empty", 0},
                                                             {"one-byte", 1},
                                                             {"min", params.min_size},
                                                             {"avg", params.avg_size},
                                                             {"max", params.max_size},
                                                             {"max-plus-one", params.max_size + 1},
                                                             {"nested/dir/random-3MiB", 3u << 20}};
  uint64_t seed = 1;
  for (const auto& [name, size] : sizes) write_bytes(source / name, random_bytes(size, seed++));
  // Sparse-ish: long zero runs with scattered data, compresses and dedups.
  std::vector<uint8_t> sparse(4u << 20, 0);
  const auto noise = random_bytes(4096, 99);
  for (size_t offset = 0; offset < sparse.size(); offset += 256 * 1024) {
    std::copy(noise.begin(), noise.end(), sparse.begin() + static_cast<std::ptrdiff_t>(offset));
  }
  write_bytes(source / "sparse", sparse);

  const auto id = fixture.back_up(source);
  CHECK(fixture.exported(id) == folder_contents(source));
}

TEST_CASE("an unchanged folder backed up again stores under 0.1% new bytes") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  write_bytes(source / "a.edb", random_bytes(16u << 20, 7));
  write_bytes(source / "edb00001.log", random_bytes(1u << 20, 8));
  fixture.back_up(source);
  auto repository = fixture.open();
  const auto second = back_up_folder(*repository, {source, {}, {}});
  INFO("second backup stored " << second.new_bytes_stored << " bytes of " << second.logical_bytes);
  CHECK(second.new_bytes_stored * 1000 < second.logical_bytes);
  repository.reset();
  CHECK(fixture.exported(second.snapshot_id) == folder_contents(source));
}

TEST_CASE("a 1 GiB stream round-trips through the snapshot writer (random and sparse-ish)") {
  RepositoryFixture fixture;
  const uint64_t total = 1ull << 30;
  const size_t block = 1u << 20;
  std::string id;
  catalog::Digest written_digest{};
  {
    auto repository = fixture.open();
    SnapshotHeader header;
    header.kind = "folder";
    header.source = "generated";
    auto writer = repository->begin_snapshot(header);
    writer->begin_file({"big", "file", 0, "", std::nullopt, {}});
    for (uint64_t offset = 0; offset < total; offset += block) {
      // Half random, half zero runs with a marker: incompressible and compressible regions.
      auto data = random_bytes(block, offset / block);
      if ((offset / block) % 2 == 1) std::fill(data.begin() + 4096, data.end(), 0);
      writer->write(data);
    }
    const auto result = writer->end_file();
    CHECK(result.size == total);
    written_digest = result.digest;
    id = writer->commit().snapshot_id();
  }
  auto repository = fixture.open(LockMode::kShared);
  const auto files = repository->catalog().files(id);
  REQUIRE(files.size() == 1);
  CHECK(files[0].digest == written_digest);
  uint64_t offset = 0;
  bool identical = true;
  read_file_contents(*repository, id, files[0], [&](std::span<const uint8_t> bytes) {
    // Compare against the generator without holding 1 GiB in memory.
    size_t position = 0;
    while (position < bytes.size()) {
      const uint64_t block_index = offset / block;
      auto expected = random_bytes(block, block_index);
      if (block_index % 2 == 1) std::fill(expected.begin() + 4096, expected.end(), 0);
      const size_t in_block = offset % block;
      const size_t n = std::min(bytes.size() - position, block - in_block);
      identical = identical && std::equal(bytes.begin() + static_cast<std::ptrdiff_t>(position),
                                          bytes.begin() + static_cast<std::ptrdiff_t>(position + n),
                                          expected.begin() + static_cast<std::ptrdiff_t>(in_block));
      position += n;
      offset += n;
    }
  });
  CHECK(offset == total);
  CHECK(identical);
}

TEST_CASE("snapshot specs resolve by id, prefix and latest") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  write_bytes(source / "f", random_bytes(1000, 1));
  const auto first = fixture.back_up(source);
  write_bytes(source / "f", random_bytes(1000, 2));
  const auto second = fixture.back_up(source);
  auto repository = fixture.open(LockMode::kShared);
  CHECK(repository->resolve("latest") == second);
  CHECK(repository->resolve(first) == first);
  CHECK(repository->resolve(first.substr(0, 10)) == first);
  CHECK_THROWS_WITH(repository->resolve("zz"), Catch::Contains("not a snapshot id"));
  CHECK_THROWS_WITH(repository->resolve("0123456789abcdef0123"), Catch::Contains("no snapshot id starts with"));
  CHECK(fixture.exported(first)[0].second == random_bytes(1000, 1));
}

TEST_CASE("export refuses a non-empty target without force and unsafe names") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  write_bytes(source / "f", random_bytes(10, 1));
  const auto id = fixture.back_up(source);
  const auto target = fixture.scratch("target");
  write_bytes(target / "existing", {1, 2, 3});
  auto repository = fixture.open(LockMode::kShared);
  CHECK_THROWS_WITH(export_snapshot(*repository, id, {target, false}), Catch::Contains("not empty"));
  CHECK_NOTHROW(export_snapshot(*repository, id, {target, true}));
  CHECK(read_bytes(target / "f") == random_bytes(10, 1));
}

TEST_CASE("a corrupted pack byte is detected at export with pack and offset named") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  write_bytes(source / "f", random_bytes(256 * 1024, 5));
  const auto id = fixture.back_up(source);
  std::filesystem::path pack;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fixture.repo_path() / "packs")) {
    if (entry.path().extension() == ".pack") pack = entry.path();
  }
  REQUIRE(!pack.empty());
  auto bytes = read_bytes(pack);
  bytes[100] ^= 0x40;  // inside the first entry's stored bytes
  write_bytes(pack, bytes);
  auto repository = fixture.open(LockMode::kShared);
  try {
    export_snapshot(*repository, id, {fixture.scratch("target"), false});
    FAIL("corruption was not detected");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK_THAT(std::string(e.what()), Catch::Contains(pack.filename().string()));
    CHECK_THAT(std::string(e.what()), Catch::Contains("offset"));
  }
  CHECK_FALSE(std::filesystem::exists(fixture.scratch("target") / "f"));
}

TEST_CASE("export with --force never writes through a symbolic link in the target") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  write_bytes(source / "sub/file", random_bytes(100, 3));
  const auto id = fixture.back_up(source);
  const auto target = fixture.scratch("target");
  const auto elsewhere = fixture.scratch("elsewhere");
  std::filesystem::create_directories(target);
  std::filesystem::create_directories(elsewhere);
  std::filesystem::create_directory_symlink(elsewhere, target / "sub");
  auto repository = fixture.open(LockMode::kShared);
  CHECK_THROWS_WITH(export_snapshot(*repository, id, {target, true}), Catch::Contains("symbolic link"));
  CHECK(std::filesystem::is_empty(elsewhere));
}
