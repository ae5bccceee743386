// Snapshot series (issue 14) through the real binary: a folder source keeps the name the user gave
// it (no symbolic link resolution), `--source NAME` joins dated folders into one series, and
// forget groups by series unless told otherwise.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_repository.h"
#include "test_support.h"

using namespace certvault_test;
using nlohmann::json;

namespace {

class SeriesRepo : public TestRepository {
 public:
  SeriesRepo() : TestRepository("series") {}
  // A night's `certutil -backupDB` output: the same relative paths, a slightly changed database.
  void write_night(const std::string& folder, int night) const {
    auto database = random_bytes(512 * 1024, 1);
    for (int i = 0; i < night; ++i) database[static_cast<size_t>(i) * 8192 + 17] ^= 0x5a;
    write_bytes(path(folder) / "DataBase" / "Contoso CA.edb", database);
    write_bytes(path(folder) / "DataBase" / "edb00001.log", random_bytes(64 * 1024, 100 + night));
  }
  json backup(const std::filesystem::path& folder, const std::string& extra = "") const {
    return cv_json("backup --folder " + quoted(folder.string()) + " " + extra);
  }
};

}  // namespace

TEST_CASE("dated folders with --source form one series: parent, delta base, forget, prune") {
  SeriesRepo r;
  std::vector<std::string> ids;
  std::vector<uint64_t> stored;
  for (int night = 1; night <= 5; ++night) {
    const std::string folder = "backups/2026-11-0" + std::to_string(night);
    r.write_night(folder, night);
    const auto result = r.backup(r.path(folder), "--source 'Contoso CA'");
    CHECK(result.at("source") == "Contoso CA");
    ids.push_back(result.at("snapshot"));
    stored.push_back(result.at("new_bytes_stored"));
  }
  // After the first night only the changed pages and the new log are stored.
  for (size_t i = 1; i < stored.size(); ++i) CHECK(stored[i] < stored[0] / 2);

  const auto listed = r.cv_json("snapshots --source 'Contoso CA'");
  REQUIRE(listed.size() == 5);
  for (size_t i = 0; i < listed.size(); ++i) {
    CHECK(listed[i].at("id") == ids[i]);
    CHECK(listed[i].at("source") == "Contoso CA");
    CHECK(listed[i].at("commit_seq") == i + 1);
    if (i > 0) CHECK(listed[i].at("parent") == ids[i - 1]);
  }
  CHECK(r.cv_json("snapshots --source nobody").empty());

  // A dry run reports what prune would free with the planned snapshots gone.
  const auto dry = r.cv_json("forget --keep-last 2 --dry-run --prune");
  CHECK(dry.at("removed") == 3);
  CHECK(dry.at("prune").at("bytes_freed").get<uint64_t>() > 0);
  CHECK(r.cv_json("snapshots").size() == 5);
  const auto plan = r.cv_json("forget --keep-last 2 --prune");
  CHECK(plan.at("prune").at("packs_deleted") == dry.at("prune").at("packs_deleted"));
  CHECK(plan.at("prune").at("recipes_removed") == dry.at("prune").at("recipes_removed"));
  CHECK(plan.at("removed") == 3);
  CHECK(plan.at("kept") == 2);
  CHECK(plan.at("warnings").empty());
  CHECK(plan.at("prune").at("bytes_freed").get<uint64_t>() > 0);
  const auto left = r.cv_json("snapshots");
  REQUIRE(left.size() == 2);
  CHECK(left[0].at("id") == ids[3]);
  CHECK(left[1].at("id") == ids[4]);
  CHECK(r.cv("check --read-data").exit_code == 0);
  const auto stats = r.cv_json("stats --source 'Contoso CA'");
  CHECK(stats.at("snapshots") == 2);
  CHECK(r.cv("export " + ids[4] + " --to " + quoted(r.path("out").string())).exit_code == 0);
  CHECK(folder_contents(r.path("out")) == folder_contents(r.path("backups/2026-11-05")));
}

TEST_CASE("dated folders without --source: forget warns that each snapshot is its own series") {
  SeriesRepo r;
  for (int night = 1; night <= 3; ++night) {
    const std::string folder = "dated/night-" + std::to_string(night);
    r.write_night(folder, night);
    r.backup(r.path(folder));
  }
  const auto plan = r.cv_json("forget --keep-last 1 --dry-run");
  CHECK(plan.at("removed") == 0);
  REQUIRE(plan.at("warnings").size() == 1);
  CHECK(plan.at("warnings")[0].get<std::string>().find("use --source or --group-by") != std::string::npos);
  const auto text = r.cv("forget --keep-last 1 --dry-run");
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("each snapshot is its own series") != std::string::npos);
  // Grouped together, the rules see one series.
  const auto together = r.cv_json("forget --keep-last 1 --dry-run --group-by none");
  CHECK(together.at("removed") == 2);
  CHECK(together.at("warnings").empty());
  CHECK(r.cv("forget --keep-last 1 --dry-run --group-by nonsense").exit_code == 2);
}

TEST_CASE("a folder backed up through a symbolic link keeps the link's name") {
  SeriesRepo r;
  r.write_night("nights/a", 1);
  r.write_night("nights/b", 2);
  const auto link = r.path("current");
  std::filesystem::create_directory_symlink(r.path("nights/a"), link);
  const auto first = r.backup(link);
  std::filesystem::remove(link);
  std::filesystem::create_directory_symlink(r.path("nights/b"), link);
  // As given, with a trailing separator: the same series.
  const auto second = r.backup(link.string() + "/");
  CHECK(first.at("source") == link.string());
  CHECK(second.at("source") == link.string());
  const auto listed = r.cv_json("snapshots --source " + quoted(link.string()));
  REQUIRE(listed.size() == 2);
  CHECK(listed[1].at("parent") == first.at("snapshot"));
  CHECK(listed[0].at("source_path") == std::filesystem::canonical(r.path("nights/a")).string());
  CHECK(listed[1].at("source_path") == std::filesystem::canonical(r.path("nights/b")).string());
  const auto shown = r.cv("show latest");
  CHECK(shown.output.find("symbolic links resolved") != std::string::npos);
  const auto plan = r.cv_json("forget --keep-last 1 --dry-run");
  CHECK(plan.at("removed") == 1);
}
