// `certvault check` finds each kind of damage, exits 4 and names the place.
#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "maintenance_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {

struct Damaged {
  MaintenanceRepo repo;
  std::string snapshot;
  std::string pack;  // object name of the pack holding the start of a.bin
  std::string repo_arg;

  Damaged() {
    const auto source = repo.scratch("source");
    set_folder(source, {{"a.bin", random_bytes(1500u << 10, 51)}, {"b.bin", random_bytes(200u << 10, 52)}});
    snapshot = repo.back_up(source);
    auto repository = repo.open(LockMode::kShared);
    const auto& catalog = repository->catalog();
    const auto file = catalog.files(snapshot).at(0);
    REQUIRE(file.path == "a.bin");
    // The pack with the lowest id was written first: it starts with chunks of a.bin.
    pack = catalog.packs().at(0).name;
    repo_arg = "--repo " + quoted(repo.repo_path().string());
  }
  std::filesystem::path pack_path() const { return repo.repo_path() / pack; }
  CommandResult check(const std::string& extra = "") const {
    return certvault_test::certvault("check " + repo_arg + " " + extra);
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void patch_file(const std::filesystem::path& path, uint64_t offset, const std::vector<uint8_t>& bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file.good());
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(file.good());
}

void run_sql(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(database.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO((message ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("check passes an intact repository, listing leftover packs as warnings") {
  Damaged d;
  auto result = d.check("--read-data");
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.output, "no problems found"));

  const std::string leftover = "packs/ee/" + std::string(32, 'e') + ".pack";
  std::filesystem::create_directories(d.repo.repo_path() / "packs" / "ee");
  std::filesystem::copy_file(d.pack_path(), d.repo.repo_path() / leftover);
  result = d.check("--json");
  INFO(result.output);
  CHECK(result.exit_code == 0);
  const auto json = json_in(result.output);
  CHECK(json.at("ok") == true);
  CHECK(json.at("orphan_packs") == nlohmann::json::array({leftover}));
}

TEST_CASE("check reports a deleted pack with the snapshot, file and offset it breaks") {
  Damaged d;
  std::filesystem::remove(d.pack_path());
  const auto result = d.check();
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(contains(result.output, "pack " + d.pack + " is missing"));
  CHECK(contains(result.output, "snapshot " + d.snapshot + " file 'a.bin' at offset "));
}

TEST_CASE("check --read-data reports a flipped byte in a pack") {
  Damaged d;
  // Inside the first entry's stored bytes: 16-byte pack header, 48-byte entry header.
  auto byte = read_bytes(d.pack_path()).at(16 + 48 + 100);
  patch_file(d.pack_path(), 16 + 48 + 100, {static_cast<uint8_t>(byte ^ 0x01)});
  const auto structural = d.check();
  INFO(structural.output);
  CHECK(structural.exit_code == 0);  // trailer and index agree; only reading the data finds it

  const auto result = d.check("--read-data");
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(contains(result.output, "pack " + d.pack + " at offset 16: chunk "));
  CHECK(contains(result.output, "snapshot " + d.snapshot + " file 'a.bin' at offset "));

  const auto subset = d.check("--read-data-subset 100");
  CHECK(subset.exit_code == 4);
}

TEST_CASE("check reports a truncated pack") {
  Damaged d;
  const auto size = std::filesystem::file_size(d.pack_path());
  std::filesystem::resize_file(d.pack_path(), size - 100);
  const auto result = d.check();
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(contains(result.output,
                 fmt::format("pack {} is {} bytes, but the catalog recorded {} bytes", d.pack, size - 100, size)));
  CHECK(contains(result.output, "trailer index cannot be read"));
  CHECK(contains(result.output, "snapshot " + d.snapshot + " file 'a.bin' at offset "));
}

TEST_CASE("check reports a chunk missing from the index") {
  Damaged d;
  std::string chunk_hex;
  uint64_t raw_size = 0;
  {
    auto repository = d.repo.open(LockMode::kShared);
    const auto& catalog = repository->catalog();
    // The second chunk of a.bin, read from its full recipe: u8 kind 0, varint count, 16-byte ids.
    const auto recipe = catalog.recipe(catalog.files(d.snapshot).at(0).recipe);
    REQUIRE(recipe->body.at(0) == 0);
    size_t at = 1;
    while (recipe->body.at(at) & 0x80) ++at;
    ++at;
    catalog::ChunkId first{}, second{};
    std::copy_n(recipe->body.begin() + static_cast<std::ptrdiff_t>(at), 16, first.begin());
    std::copy_n(recipe->body.begin() + static_cast<std::ptrdiff_t>(at + 16), 16, second.begin());
    raw_size = catalog.find_chunk(first)->raw_size;
    static const char* digits = "0123456789abcdef";
    for (uint8_t b : second) chunk_hex += std::string{digits[b >> 4], digits[b & 15]};
  }
  run_sql(d.repo.repo_path() / "catalog.db", "DELETE FROM chunks WHERE hex(id) = upper('" + chunk_hex + "')");
  const auto result = d.check();
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(contains(result.output, fmt::format("snapshot {} file 'a.bin' at offset {}: chunk {} is not in the chunk index",
                                            d.snapshot, raw_size, chunk_hex)));
}

TEST_CASE("check reports a corrupted catalog") {
  Damaged d;
  const auto catalog = d.repo.repo_path() / "catalog.db";
  const auto size = std::filesystem::file_size(catalog);
  REQUIRE(size > 4 * 4096);
  for (uint64_t offset = 2 * 4096; offset + 4096 <= size; offset += 4096) {
    patch_file(catalog, offset + 8, random_bytes(3000, offset));
  }
  const auto result = d.check();
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(contains(result.output, "catalog"));
}

TEST_CASE("check reports a catalog row that disagrees with its manifest or recipe object, naming the field") {
  Damaged d;
  SECTION("a file's size in the catalog") {
    run_sql(d.repo.repo_path() / "catalog.db", "UPDATE files SET size = size + 1 WHERE path = 'b.bin'");
    const auto result = d.check();
    INFO(result.output);
    CHECK(result.exit_code == 4);
    CHECK(contains(result.output, fmt::format("snapshot {}: its manifest snapshots/{}.snap disagrees with the catalog: "
                                              "file 1 ('b.bin') size is {} in the object but {} in the catalog",
                                              d.snapshot, d.snapshot, 200u << 10, (200u << 10) + 1)));
  }
  SECTION("a recipe's logical size in the catalog") {
    run_sql(d.repo.repo_path() / "catalog.db", "UPDATE recipes SET logical_size = 7");
    const auto result = d.check();
    INFO(result.output);
    CHECK(result.exit_code == 4);
    CHECK(contains(result.output, "disagrees with the catalog: the logical size is "));
    CHECK(contains(result.output, " in the object but 7 in the catalog"));
  }
}

TEST_CASE("a config that disagrees with the catalog's copy stops every command with exit 4, naming the config") {
  Damaged d;
  const auto config = d.repo.repo_path() / "config";
  auto text = read_bytes(config);
  const std::string key = "\nchunker-key = ";
  const auto at = std::search(text.begin(), text.end(), key.begin(), key.end());
  REQUIRE(at != text.end());
  auto& digit = *(at + static_cast<std::ptrdiff_t>(key.size()));
  digit = digit == '0' ? '1' : '0';  // still a valid key, just not this repository's
  // Without its checksum line, as an old config would be: the catalog's copy still catches the key.
  const std::string checksum = "config-xxh64 = ";
  const auto line = std::search(text.begin(), text.end(), checksum.begin(), checksum.end());
  REQUIRE(line != text.end());
  text.erase(line, text.end());
  write_bytes(config, text);
  const auto result = d.check();
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(contains(result.output, "config " + config.string() +
                                    " disagrees with the catalog's copy of it: chunker-key differs (key material"));
  CHECK(certvault_test::certvault("snapshots " + d.repo_arg).exit_code == 4);
}
