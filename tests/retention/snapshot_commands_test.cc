// snapshots, show, diff, stats and forget through the real binary, on folder
// repositories and on repositories of the simulated CA.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_repository.h"
#include "test_support.h"

using namespace certvault_test;
using nlohmann::json;

namespace {

class Repo : public TestRepository {
 public:
  Repo() : TestRepository("snapcmd") {}
  std::string backup_folder(const std::string& folder, const std::string& extra = "") const {
    const auto result = cv("backup --json --folder " + quoted(path(folder).string()) + " " + extra);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.output).at("snapshot").get<std::string>();
  }
  size_t count(const std::string& filters = "") const { return cv_json("snapshots " + filters).size(); }
};

}  // namespace

TEST_CASE("snapshots filters, show and diff on folder snapshots") {
  Repo r;
  write_bytes(r.path("src/keep.bin"), random_bytes(300000, 1));
  write_bytes(r.path("src/change.bin"), random_bytes(200000, 2));
  write_bytes(r.path("src/gone.bin"), random_bytes(100000, 3));
  const auto first = r.backup_folder("src", "--tag first --tag 'two words'");
  std::filesystem::remove(r.path("src/gone.bin"));
  write_bytes(r.path("src/change.bin"), random_bytes(250000, 4));
  write_bytes(r.path("src/new.bin"), random_bytes(50000, 5));
  const auto second = r.backup_folder("src", "--tag second");

  CHECK(r.count() == 2);
  CHECK(r.count("--type folder") == 2);
  CHECK(r.count("--type full") == 0);
  CHECK(r.count("--tag first") == 1);
  CHECK(r.count("--tag two") == 0);
  CHECK(r.count("--tag 'two words'") == 1);
  CHECK(r.count("--since 2000-01-01") == 2);
  CHECK(r.count("--since 2999-01-01T00:00:00Z") == 0);
  CHECK(r.count("--since 1d") == 2);
  const auto listed = r.cv_json("snapshots --tag first").at(0);
  CHECK(listed.at("id") == first);
  CHECK(listed.at("tags") == json({"first", "two words"}));
  CHECK(listed.at("logical_bytes") == 600000);
  for (const char* field : {"time", "time_unix", "kind", "source", "server", "ca_name", "parent", "base_full",
                            "gen_low", "gen_high", "added_bytes"}) {
    CHECK(listed.contains(field));
  }
  const auto bad_since = r.cv("snapshots --since yesterday");
  CHECK(bad_since.exit_code == 2);
  CHECK_THAT(bad_since.output, Catch::Contains("'yesterday' is not a time"));
  CHECK(r.cv("snapshots --type weekly").exit_code == 2);
  const auto table = r.cv("snapshots");
  CHECK_THAT(table.output, Catch::Contains(first.substr(0, 12)));
  CHECK_THAT(table.output, Catch::Contains("2 snapshots"));

  const auto shown = r.cv_json("show " + second.substr(0, 8));
  CHECK(shown.at("id") == second);
  REQUIRE(shown.at("files").size() == 3);
  CHECK(shown.at("files").at(0).at("digest").get<std::string>().size() == 32);
  CHECK(shown.at("missing_files").empty());
  const auto shown_text = r.cv("show latest");
  CHECK(shown_text.exit_code == 0);
  CHECK_THAT(shown_text.output, Catch::Contains("new.bin"));
  CHECK_THAT(shown_text.output, Catch::Contains("files:"));
  CHECK(r.cv("show ffffffff").exit_code == 2);

  const auto diff = r.cv_json("diff " + first + " " + second);
  const auto& summary = diff.at("summary");
  CHECK(summary.at("added") == 1);
  CHECK(summary.at("removed") == 1);
  CHECK(summary.at("changed") == 1);
  CHECK(summary.at("unchanged") == 1);
  CHECK(summary.at("added_bytes") == 50000);
  CHECK(summary.at("removed_bytes") == 100000);
  CHECK(summary.at("changed_bytes_before") == 200000);
  CHECK(summary.at("changed_bytes_after") == 250000);
  const auto diff_text = r.cv("diff " + first + " " + second);
  CHECK_THAT(diff_text.output, Catch::Contains("+ new.bin"));
  CHECK_THAT(diff_text.output, Catch::Contains("- gone.bin"));
  CHECK_THAT(diff_text.output, Catch::Contains("M change.bin"));
  CHECK_THAT(diff_text.output, Catch::Contains("1 added"));
  CHECK(r.cv_json("diff " + first + " " + first).at("files").empty());
}

TEST_CASE("stats: unique bytes equal what a snapshot added when nothing else shares it") {
  Repo r;
  write_bytes(r.path("a/data.bin"), random_bytes(1u << 20, 11));
  write_bytes(r.path("b/data.bin"), random_bytes(1u << 20, 12));
  const auto a = r.backup_folder("a");
  const auto b = r.backup_folder("b");
  auto stats = r.cv_json("stats");
  CHECK(stats.at("snapshots") == 2);
  CHECK(stats.at("logical_bytes") == 2u << 20);
  REQUIRE(stats.at("per_snapshot").size() == 2);
  for (const auto& usage : stats.at("per_snapshot")) {
    CHECK(usage.at("added_bytes").get<uint64_t>() > 0);
    CHECK(usage.at("unique_pack_bytes") == usage.at("added_bytes"));
    CHECK(usage.at("unique_raw_bytes") == 1u << 20);
  }
  CHECK(stats.at("dedup_ratio").get<double>() == Approx(1.0));
  CHECK(stats.at("referenced").at("raw_bytes") == 2u << 20);
  CHECK(stats.at("referenced") == stats.at("indexed"));

  // The same content again: nothing added, nothing unique any more, dedup ratio 1.5.
  std::filesystem::copy(r.path("a"), r.path("a2"), std::filesystem::copy_options::recursive);
  const auto a2 = r.backup_folder("a2");
  stats = r.cv_json("stats");
  CHECK(stats.at("dedup_ratio").get<double>() == Approx(1.5));
  for (const auto& usage : stats.at("per_snapshot")) {
    if (usage.at("id") == b) continue;
    CHECK(usage.at("unique_pack_bytes") == 0);
  }
  const auto one = r.cv_json("stats " + b);
  CHECK(one.at("snapshots") == 1);
  CHECK(one.at("per_snapshot").at(0).at("id") == b);
  CHECK(one.at("referenced").at("raw_bytes") == 1u << 20);
  CHECK(one.at("compression_ratio").get<double>() > 0);
  CHECK_THAT(r.cv("stats").output, Catch::Contains("dedup ratio"));

  SECTION("forget: dry run changes nothing, then keep-last removes, by-id forgets") {
    const auto dry = r.cv("forget --keep-last 1 --dry-run");
    INFO(dry.output);
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.output, Catch::Contains("last 1"));
    CHECK_THAT(dry.output, Catch::Contains("would remove 0 snapshots"));  // three folders, one snapshot each
    CHECK(r.count() == 3);
    const auto empty_policy = r.cv("forget");
    CHECK(empty_policy.exit_code == 2);
    CHECK_THAT(empty_policy.output, Catch::Contains("empty policy"));
    CHECK(r.cv("forget --keep-within 3w").exit_code == 2);
    CHECK(r.cv("forget --keep-last 1 " + a).exit_code == 2);

    const auto by_id = r.cv_json("forget " + a.substr(0, 10));
    CHECK(by_id.at("removed") == 1);
    CHECK(r.count() == 2);
    // a2 still holds a's data: a2's chunks are now unique to it.
    const auto remaining = r.cv_json("stats");  // named: a range-for over a temporary's member would dangle
    for (const auto& usage : remaining.at("per_snapshot")) CHECK(usage.at("unique_pack_bytes") > 0);
    (void)a2;
  }
}

TEST_CASE("forget on one folder's history keeps what the rules say") {
  Repo r;
  write_bytes(r.path("src/f.bin"), random_bytes(10000, 1));
  for (int i = 0; i < 3; ++i) {
    write_bytes(r.path("src/f.bin"), random_bytes(10000, static_cast<uint64_t>(i + 1)));
    r.backup_folder("src", i == 0 ? "--tag gold" : "");
  }
  const auto dry = r.cv("forget --keep-last 1 --keep-tag gold --dry-run");
  CHECK_THAT(dry.output, Catch::Contains("no rule keeps it"));
  CHECK_THAT(dry.output, Catch::Contains("tag gold"));
  CHECK_THAT(dry.output, Catch::Contains("would remove 1 snapshot, keep 2"));
  const auto plan = r.cv_json("forget --keep-last 1 --keep-tag gold --dry-run");
  CHECK(plan.at("kept") == 2);
  CHECK(plan.at("removed") == 1);
  CHECK(r.count() == 3);
  const auto done = r.cv_json("forget --keep-last 1 --keep-tag gold");
  CHECK(done.at("dry_run") == false);
  CHECK(r.count() == 2);
  CHECK(r.count("--tag gold") == 1);

  // forget --prune: the stats before say what only the gold snapshot holds; prune frees it.
  const auto before = r.cv_json("stats");
  CHECK(before.at("indexed").at("chunks").get<uint64_t>() > before.at("referenced").at("chunks").get<uint64_t>());
  const auto gold = r.cv_json("snapshots --tag gold").at(0).at("id").get<std::string>();
  uint64_t gold_unique = 0;
  for (const auto& usage : before.at("per_snapshot")) {
    if (usage.at("id") == gold) gold_unique = usage.at("unique_pack_bytes").get<uint64_t>();
  }
  CHECK(gold_unique > 0);
  const auto dry_prune = r.cv_json("forget --keep-last 1 --dry-run --prune");
  CHECK(dry_prune.at("prune").at("dry_run") == true);
  CHECK(r.count() == 2);
  const auto pruned = r.cv_json("forget --keep-last 1 --prune");
  CHECK(pruned.at("removed") == 1);
  CHECK(pruned.at("prune").at("bytes_freed").get<uint64_t>() > 0);
  const auto after = r.cv_json("stats");
  CHECK(after.at("snapshots") == 1);
  CHECK(after.at("indexed") == after.at("referenced"));
  CHECK(r.cv("check").exit_code == 0);
}

TEST_CASE("incremental chains of the simulated CA: show, filters, forget refusal") {
  Repo r;
  const auto ca = r.path("ca");
  casim("init " + quoted(ca.string()) + " --ca-name 'Retention CA' --db-size 1MiB");
  casim("issue " + quoted(ca.string()) + " --count 20");
  const std::string server = " --server " + quoted(ca.string()) + " --library " + quoted(sim_library().string());
  auto backup = [&](const std::string& type) {
    casim("issue " + quoted(ca.string()) + " --count 300");
    const auto result = r.cv("backup --json --type " + type + server);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.output).at("snapshot").get<std::string>();
  };
  const auto full = backup("full");
  const auto inc1 = backup("incremental");
  const auto inc2 = backup("incremental");

  CHECK(r.count("--type incremental") == 2);
  CHECK(r.count("--type full") == 1);
  CHECK(r.count("--server " + quoted(ca.string())) == 3);
  CHECK(r.count("--server nowhere") == 0);

  const auto shown = r.cv_json("show " + inc2);
  CHECK(shown.at("chain").at("base_full") == full);
  CHECK(shown.at("chain").at("incrementals") == json({inc1}));
  CHECK(shown.at("gen_low").is_number());
  CHECK_FALSE(shown.at("restore_map").empty());
  const auto shown_text = r.cv("show " + inc2);
  CHECK_THAT(shown_text.output, Catch::Contains("full " + full.substr(0, 12) + " > " + inc1.substr(0, 12)));
  CHECK_THAT(r.cv("show " + full).output, Catch::Contains("2 incrementals built on it"));

  const auto refuse_full = r.cv("forget " + full);
  CHECK(refuse_full.exit_code == 6);
  CHECK_THAT(refuse_full.output, Catch::Contains("--with-chain"));
  CHECK(r.cv("forget " + inc1).exit_code == 6);
  CHECK(r.count() == 3);

  const auto dry = r.cv("forget --keep-last 1 --dry-run");
  INFO(dry.output);
  CHECK_THAT(dry.output, Catch::Contains("chain of " + inc2.substr(0, 12)));
  CHECK_THAT(dry.output, Catch::Contains("would remove 0 snapshots, keep 3"));

  const auto whole = r.cv_json("forget --with-chain --dry-run " + full);
  CHECK(whole.at("removed") == 3);
  CHECK(r.count() == 3);
  CHECK(r.cv_json("forget " + inc2).at("removed") == 1);
  CHECK(r.count() == 2);
}
