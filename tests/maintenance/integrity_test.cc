// Issue 15, items 1 and 2, through the real binary: the repository's objects
// are the truth and the catalog never overrides them; every byte of the pack
// header, the entry header and the config is covered by a check.
#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "maintenance_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void flip_byte(const std::filesystem::path& path, uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file.good());
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  REQUIRE(file.good());
  byte = static_cast<char>(byte ^ 0x20);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
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

// A folder repository with two snapshots: the first of a.bin and b.bin, the second of c.bin alone.
struct TwoSnapshots {
  MaintenanceRepo repo;
  std::string first, second;
  std::string repo_arg;

  TwoSnapshots() {
    const auto source = repo.scratch("source");
    set_folder(source, {{"a.bin", random_bytes(1500u << 10, 61)}, {"b.bin", random_bytes(200u << 10, 62)}});
    first = repo.back_up(source);
    set_folder(source, {{"c.bin", random_bytes(300u << 10, 63)}});
    second = repo.back_up(source);
    repo_arg = "--repo " + quoted(repo.repo_path().string());
  }
  std::filesystem::path path(const std::string& name) const { return repo.repo_path() / name; }
  std::filesystem::path catalog() const { return path("catalog.db"); }
  std::string manifest(const std::string& id) const { return "snapshots/" + id + ".snap"; }
  std::string first_pack() const {
    auto repository = repo.open(LockMode::kShared);
    return repository->catalog().packs().at(0).name;
  }
  CommandResult cli(const std::string& arguments) const {
    return certvault_test::certvault(arguments + " " + repo_arg);
  }
  CommandResult export_to(const std::string& id, const std::string& leaf) const {
    return cli("export " + id + " --to " + quoted(repo.scratch(leaf).string()));
  }
};

}  // namespace

TEST_CASE("a flipped byte in a recipe or manifest object fails check, with or without --read-data, with exit 4") {
  TwoSnapshots r;
  std::string object;
  SECTION("a recipe object") { object = r.repo.objects_under("recipes").begin()->c_str(); }
  SECTION("a manifest object") { object = r.manifest(r.first); }
  flip_byte(r.path(object), std::filesystem::file_size(r.path(object)) / 2);
  for (const char* extra : {"", " --read-data"}) {
    const auto result = r.cli(std::string("check") + extra);
    INFO(result.output);
    CHECK(result.exit_code == 4);
    CHECK(contains(result.output, object));
    CHECK(contains(result.output, "checksum"));
  }
}

TEST_CASE("export takes every file from the manifest: a catalog that disagrees is exit 4 naming the field") {
  TwoSnapshots r;
  std::string sql, field;
  SECTION("a file's path") {
    sql = "UPDATE files SET path = 'a.bim' WHERE path = 'a.bin'";
    field = "file 0 ('a.bim') path is 'a.bin' in the object but 'a.bim' in the catalog";
  }
  SECTION("a file's role") {
    sql = "UPDATE files SET role = 'dynamic' WHERE path = 'b.bin'";
    field = "file 1 ('b.bin') role is 'file' in the object but 'dynamic' in the catalog";
  }
  SECTION("a file's size") {
    sql = "UPDATE files SET size = 5 WHERE path = 'b.bin'";
    field = "file 1 ('b.bin') size is 204800 in the object but 5 in the catalog";
  }
  SECTION("a file's recipe") {
    sql = "UPDATE files SET recipe = (SELECT recipe FROM files WHERE path = 'a.bin') WHERE path = 'b.bin'";
    field = "file 1 ('b.bin') recipe is ";
  }
  SECTION("a file row dropped") {
    sql = "DELETE FROM files WHERE path = 'b.bin'";
    field = "the object lists 2 files but the catalog 1";
  }
  SECTION("the snapshot's kind") {
    sql = "UPDATE snapshots SET kind = 'full' WHERE id = '" + r.first + "'";
    field = "the kind is 'folder' in the object but 'full' in the catalog";
  }
  run_sql(r.catalog(), sql);
  const auto exported = r.export_to(r.first, "export");
  INFO(exported.output);
  CHECK(exported.exit_code == 4);
  CHECK(contains(exported.output, "its manifest " + r.manifest(r.first) + " disagrees with the catalog"));
  CHECK(contains(exported.output, field));
  CHECK_FALSE(std::filesystem::exists(r.repo.scratch("export")));
  const auto tar = r.cli("export " + r.first + " --tar " + quoted(r.repo.scratch("export.tar").string()));
  CHECK(tar.exit_code == 4);
  CHECK_FALSE(std::filesystem::exists(r.repo.scratch("export.tar")));
  const auto checked = r.cli("check");
  INFO(checked.output);
  CHECK(checked.exit_code == 4);
  // The other snapshot is untouched and still exports.
  CHECK(r.export_to(r.second, "other").exit_code == 0);
}

TEST_CASE("a recipe row altered in the catalog is an integrity error, not a wrong file") {
  TwoSnapshots r;
  run_sql(r.catalog(),
          "UPDATE recipes SET body = substr(body, 1, length(body) - 1) || CASE WHEN substr(body, -1) = X'00' THEN "
          "X'01' ELSE X'00' END");
  const auto exported = r.export_to(r.first, "export");
  INFO(exported.output);
  CHECK(exported.exit_code == 4);
  CHECK(contains(exported.output, "the catalog's copy of the encoded recipe does not hash to its id"));
  CHECK(r.cli("check").exit_code == 4);
}

TEST_CASE("a damaged manifest after a catalog loss: repair, check and prune report it until it is forgotten by id") {
  TwoSnapshots r;
  const auto manifest = r.manifest(r.first);
  flip_byte(r.path(manifest), std::filesystem::file_size(r.path(manifest)) / 2);
  std::filesystem::remove(r.catalog());
  const auto repaired = r.cli("repair catalog");
  INFO(repaired.output);
  CHECK(repaired.exit_code == 4);
  CHECK(contains(repaired.output, "snapshot " + manifest + " skipped"));

  const auto checked = r.cli("check");
  INFO(checked.output);
  CHECK(checked.exit_code == 4);
  CHECK(contains(checked.output, "manifest " + manifest));
  CHECK(contains(checked.output, "certvault forget " + r.first));

  const auto packs = r.repo.pack_files();
  const auto recipes = r.repo.objects_under("recipes");
  for (const char* extra : {" --dry-run", ""}) {
    const auto pruned = r.cli(std::string("prune") + extra);
    INFO(pruned.output);
    CHECK(pruned.exit_code == 4);
    CHECK(contains(pruned.output, "prune refused"));
    CHECK(contains(pruned.output, "certvault forget " + r.first));
  }
  CHECK(r.repo.pack_files() == packs);
  CHECK(r.repo.objects_under("recipes") == recipes);
  CHECK(std::filesystem::exists(r.path(manifest)));

  const auto forgotten = r.cli("forget " + r.first);
  INFO(forgotten.output);
  CHECK(forgotten.exit_code == 0);
  CHECK(contains(forgotten.output, "forgot snapshot " + r.first));
  CHECK_FALSE(std::filesystem::exists(r.path(manifest)));
  CHECK(r.cli("prune").exit_code == 0);
  const auto clean = r.cli("check --read-data");
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK(r.export_to(r.second, "export").exit_code == 0);
}

TEST_CASE("a damaged recipe after a catalog loss: the intact manifest that needs it is no leftover for prune") {
  TwoSnapshots r;
  std::string recipe;
  {
    auto repository = r.repo.open(LockMode::kShared);
    const auto file = repository->catalog().files(r.first).at(0);
    REQUIRE(file.path == "a.bin");
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (uint8_t b : file.recipe) hex += std::string{digits[b >> 4], digits[b & 15]};
    recipe = "recipes/" + hex.substr(0, 2) + "/" + hex + ".recipe";
  }
  flip_byte(r.path(recipe), std::filesystem::file_size(r.path(recipe)) - 3);
  std::filesystem::remove(r.catalog());
  const auto repaired = r.cli("repair catalog");
  INFO(repaired.output);
  CHECK(repaired.exit_code == 4);
  CHECK(contains(repaired.output, "recipe " + recipe + " skipped"));
  CHECK(contains(repaired.output, "snapshot " + r.manifest(r.first) + " skipped"));
  const auto checked = r.cli("check");
  INFO(checked.output);
  CHECK(checked.exit_code == 4);
  CHECK(contains(checked.output, "manifest " + r.manifest(r.first) + ": file 'a.bin' needs recipe " + recipe));
  const auto packs = r.repo.pack_files();
  const auto pruned = r.cli("prune");
  INFO(pruned.output);
  CHECK(pruned.exit_code == 4);
  CHECK(r.repo.pack_files() == packs);
  CHECK(r.cli("forget " + r.first).exit_code == 0);
  CHECK(r.cli("prune").exit_code == 0);
  CHECK(r.cli("check --read-data").exit_code == 0);
}

TEST_CASE("a damaged pack index after a catalog loss: its pack is no leftover for prune") {
  // Repair leaves out the pack whose index does not verify; the snapshots that use its chunks still
  // name them. Without a refusal, prune would delete that pack as a crashed backup's leftover, and
  // with it whatever of those snapshots a person might still recover.
  TwoSnapshots r;
  const auto pack = r.first_pack();
  flip_byte(r.path(pack), std::filesystem::file_size(r.path(pack)) - 40);  // inside the index
  std::filesystem::remove(r.catalog());
  const auto repaired = r.cli("repair catalog");
  INFO(repaired.output);
  CHECK(repaired.exit_code == 4);
  CHECK(contains(repaired.output, "pack " + pack + " skipped"));
  const auto packs = r.repo.pack_files();
  const auto pruned = r.cli("prune");
  INFO(pruned.output);
  CHECK(pruned.exit_code == 4);
  CHECK(contains(pruned.output, "prune refused"));
  CHECK(contains(pruned.output, "in no pack the catalog knows"));
  CHECK(contains(pruned.output, "Nothing was removed"));
  CHECK(r.repo.pack_files() == packs);
  // Once the snapshots that need it are forgotten, prune goes on and removes it.
  CHECK(r.cli("forget " + r.first + " " + r.second).exit_code == 0);
  const auto pruned_after = r.cli("prune");
  INFO(pruned_after.output);
  CHECK(pruned_after.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(r.path(pack)));
}

TEST_CASE("a copy of a pack under a name no object has is left out by repair catalog, which still completes") {
  // A file manager's copy beside a pack: no rerun would ever read it, so it must not stop the repair.
  TwoSnapshots r;
  const auto pack = r.first_pack();
  auto copy = r.path(pack);
  copy.replace_filename(copy.stem().string() + " - Copy.pack");
  std::filesystem::copy_file(r.path(pack), copy);
  std::filesystem::remove(r.catalog());
  const auto repaired = r.cli("repair catalog");
  INFO(repaired.output);
  CHECK(repaired.exit_code == 4);
  CHECK(contains(repaired.output, " - Copy.pack skipped"));
  CHECK(r.export_to(r.first, "out-first").exit_code == 0);
  CHECK(r.export_to(r.second, "out-second").exit_code == 0);
}

TEST_CASE("prune refuses while a catalog snapshot's manifest is damaged, and removes nothing") {
  TwoSnapshots r;
  const auto manifest = r.manifest(r.second);
  flip_byte(r.path(manifest), 30);
  const auto packs = r.repo.pack_files();
  const auto pruned = r.cli("prune");
  INFO(pruned.output);
  CHECK(pruned.exit_code == 4);
  CHECK(contains(pruned.output, manifest));
  CHECK(r.repo.pack_files() == packs);
}

TEST_CASE("the reserved bytes of the pack header and the entry header must be zero") {
  TwoSnapshots r;
  const auto pack = r.first_pack();
  SECTION("the pack header's flags and reserved field: check and export fail, naming the field") {
    const uint64_t offset = GENERATE(6, 8, 15);
    flip_byte(r.path(pack), offset);
    const auto checked = r.cli("check");
    INFO(checked.output);
    CHECK(checked.exit_code == 4);
    CHECK(contains(checked.output, fmt::format("pack {} is corrupt: pack header {} at offset {}", pack,
                                               offset == 6 ? "flags" : "reserved field", offset == 6 ? 6 : 8)));
    const auto exported = r.export_to(r.first, "export");
    INFO(exported.output);
    CHECK(exported.exit_code == 4);
    CHECK(contains(exported.output, "pack header"));
  }
  SECTION("the first entry header's reserved field: check --read-data and export fail, naming the field") {
    flip_byte(r.path(pack), 16 + 44 + 2);
    const auto checked = r.cli("check --read-data");
    INFO(checked.output);
    CHECK(checked.exit_code == 4);
    CHECK(
        contains(checked.output, fmt::format("pack {} is corrupt: entry reserved field at offset {}", pack, 16 + 44)));
    const auto exported = r.export_to(r.first, "export");
    INFO(exported.output);
    CHECK(exported.exit_code == 4);
    CHECK(contains(exported.output, "entry reserved field"));
  }
}

TEST_CASE("the config is checksummed: any changed byte stops every command with exit 4") {
  TwoSnapshots r;
  const auto config = r.path("config");
  auto text = read_bytes(config);
  const std::string checksum_line = "config-xxh64 = ";
  const auto checksum_at = static_cast<size_t>(
      std::search(text.begin(), text.end(), checksum_line.begin(), checksum_line.end()) - text.begin());
  REQUIRE(checksum_at < text.size());
  SECTION("the chunker key") {
    const std::string key = "\nchunker-key = ";
    const auto at = std::search(text.begin(), text.end(), key.begin(), key.end());
    REQUIRE(at != text.end());
    auto& digit = *(at + static_cast<std::ptrdiff_t>(key.size()));
    digit = digit == '0' ? '1' : '0';
  }
  SECTION("a comment") { text.at(30) ^= 0x20; }
  SECTION("a line added after the checksum") {
    const std::string extra = "zstd-level = 19\n";
    text.insert(text.end(), extra.begin(), extra.end());
  }
  write_bytes(config, text);
  for (const char* command : {"check", "snapshots"}) {
    const auto result = r.cli(command);
    INFO(result.output);
    CHECK(result.exit_code == 4);
    CHECK(contains(result.output, config.string()));
    CHECK(contains(result.output, "config-xxh64"));
  }
  // repair catalog reads the config first: it refuses too, and keeps the old catalog.
  CHECK(r.cli("repair catalog").exit_code == 4);
  CHECK(std::filesystem::exists(r.catalog()));
}

TEST_CASE("a config without a checksum line is the old format: accepted, unless the catalog saw one") {
  TwoSnapshots r;
  const auto config = r.path("config");
  auto text = read_bytes(config);
  const std::string checksum_line = "config-xxh64 = ";
  const auto at = std::search(text.begin(), text.end(), checksum_line.begin(), checksum_line.end());
  REQUIRE(at != text.end());
  text.erase(at, text.end());
  write_bytes(config, text);
  // The catalog recorded that this config had its checksum: the line's removal is damage.
  const auto stripped = r.cli("check");
  INFO(stripped.output);
  CHECK(stripped.exit_code == 4);
  CHECK(contains(stripped.output, "config-checksum differs"));
  // A repository from before the checksum: neither the line nor the catalog's record of it.
  run_sql(r.catalog(), "DELETE FROM settings WHERE key = 'config-checksum'");
  const auto old = r.cli("check --read-data");
  INFO(old.output);
  CHECK(old.exit_code == 0);
  CHECK(r.export_to(r.first, "export").exit_code == 0);
}
