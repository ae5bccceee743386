// Issue 14: prune frees what nothing kept needs, including the chunks of the bases of kept delta
// recipes. 12 fulls of a small simulated CA, forget 9, prune: the packs are at most 1.05x those of
// a fresh repository that received only the 3 kept states.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace certvault_test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

uint64_t pack_bytes(const fs::path& repo) {
  uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(repo / "packs")) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

CommandResult cv(const fs::path& repo, const std::string& arguments) {
  return certvault(arguments + " --repo " + quoted(repo.string()));
}

void full_backup(const fs::path& repo, const fs::path& ca) {
  const auto result = cv(repo, "backup --json --type full --server " + quoted(ca.string()) + " --library " +
                                   quoted(sim_library().string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
}

}  // namespace

TEST_CASE("prune frees the chunks only forgotten bases of kept deltas named") {
  TempFolder temp("prunebases");
  const auto ca = temp.path() / "ca";
  const auto repo = temp.path() / "repo";
  const auto fresh = temp.path() / "fresh";
  REQUIRE(cv(repo, "init").exit_code == 0);
  REQUIRE(cv(fresh, "init").exit_code == 0);
  casim("init " + quoted(ca.string()) + " --ca-name 'Prune CA' --db-size 4MiB --seed 11");
  constexpr int kFulls = 12, kKept = 3;
  for (int i = 0; i < kFulls; ++i) {
    casim("issue " + quoted(ca.string()) + " --count 40");
    fs::copy(ca, temp.path() / ("state-" + std::to_string(i)), fs::copy_options::recursive);
    full_backup(repo, ca);
  }
  const auto plan = cv(repo, "forget --keep-last 3 --prune --json");
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  CHECK(json::parse(plan.output).at("removed") == kFulls - kKept);
  const auto check = cv(repo, "check --read-data");
  INFO(check.output);
  CHECK(check.exit_code == 0);

  for (int i = kFulls - kKept; i < kFulls; ++i) {
    fs::remove_all(ca);
    fs::copy(temp.path() / ("state-" + std::to_string(i)), ca, fs::copy_options::recursive);
    full_backup(fresh, ca);
  }
  const double ratio = static_cast<double>(pack_bytes(repo)) / static_cast<double>(pack_bytes(fresh));
  WARN("packs after prune / fresh repository with the kept states: " << ratio);
  CHECK(ratio <= 1.05);
  // Every kept snapshot still exports and verifies.
  const auto listed = json::parse(cv(repo, "snapshots --json").output);
  REQUIRE(listed.size() == kKept);
  for (const auto& s : listed) {
    const auto out = temp.path() / ("export-" + s.at("id").get<std::string>());
    const auto exported = cv(repo, "export " + s.at("id").get<std::string>() + " --to " + quoted(out.string()));
    INFO(exported.output);
    CHECK(exported.exit_code == 0);
  }
}
