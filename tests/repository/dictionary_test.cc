// Repository format 2 (issue 16): database pages compressed with a zstd dictionary that the first
// full trains; check, repair, prune keep it right; a format-1 repository keeps writing format 1.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "test_repository.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace certvault_test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t count_files(const fs::path& folder) {
  if (!fs::exists(folder)) return 0;
  size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) n += entry.is_regular_file() ? 1 : 0;
  return n;
}

std::string full_backup(const fs::path& repo, const fs::path& ca) {
  const auto result = certvault("backup --repo " + quoted(repo.string()) + " --server " + quoted(ca.string()) +
                                " --library " + quoted(sim_library().string()) + " --type full --keep-logs --json");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.output).at("snapshot").get<std::string>();
}

}  // namespace

TEST_CASE("format 2: a full trains a dictionary its pages use, and check, repair catalog and prune keep it right") {
  TestRepository repository("dictionary");
  const auto ca = repository.path("ca");
  casim("init " + quoted(ca.string()) + " --ca-name DictCA --db-size 2MiB --seed 3");
  const auto first = full_backup(repository.repo(), ca);
  CHECK(count_files(repository.repo() / "dicts") == 1);
  auto checked = repository.cv("check --read-data");
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  // The second full reuses the dictionary: no new one.
  casim("issue " + quoted(ca.string()) + " --count 5");
  full_backup(repository.repo(), ca);
  CHECK(count_files(repository.repo() / "dicts") == 1);
  // repair catalog rebuilds the dictionary rows from the objects.
  fs::remove(repository.repo() / "catalog.db");
  REQUIRE(repository.cv("repair catalog").exit_code == 0);
  checked = repository.cv("check --read-data");
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  CHECK_FALSE(contains(checked.output, "warning"));
  // With every snapshot forgotten, prune removes the dictionary too.
  for (const auto& snapshot : repository.cv_json("snapshots")) {
    REQUIRE(repository.cv("forget " + snapshot.at("id").get<std::string>()).exit_code == 0);
  }
  (void)first;
  REQUIRE(repository.cv("prune").exit_code == 0);
  CHECK(count_files(repository.repo() / "dicts") == 0);
  CHECK(repository.cv("check").exit_code == 0);
}

TEST_CASE("format 1: a repository of format 1 keeps writing version-1 packs and no dictionaries") {
  TempFolder temp("format1");
  const auto repo = temp / "repo";
  fs::copy(fs::path(CERTVAULT_SOURCE_DIR) / "tests" / "golden" / "v1" / "ca" / "repo", repo,
           fs::copy_options::recursive);
  for (const auto& entry : fs::recursive_directory_iterator(repo)) {
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
  }
  const auto packs_before = count_files(repo / "packs");
  const auto ca = temp / "ca";
  casim("init " + quoted(ca.string()) + " --ca-name OldFormatCA --db-size 2MiB --seed 5");
  full_backup(repo, ca);
  CHECK(count_files(repo / "dicts") == 0);
  REQUIRE(count_files(repo / "packs") > packs_before);
  for (const auto& entry : fs::recursive_directory_iterator(repo / "packs")) {
    if (!entry.is_regular_file()) continue;
    const auto bytes = read_bytes(entry.path());
    REQUIRE(bytes.size() > 6);
    CHECK(bytes[4] == 1);  // u16 pack version (docs/format.md §5.2)
    CHECK(bytes[5] == 0);
  }
  const auto checked = certvault("check --read-data --repo " + quoted(repo.string()));
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
}
