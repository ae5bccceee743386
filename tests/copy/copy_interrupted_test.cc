// Issue 18, item 3: a copy that stops in the middle leaves the target valid, and a rerun completes it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "certvault/operations/snapshot_copy.h"
#include "certvault/repository/repository.h"
#include "copy_support.h"

namespace {

using certvault_test::quoted;
using namespace copy_test;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted by the test") {}
};

}  // namespace

TEST_CASE("a copy interrupted inside its third snapshot leaves two copied, and a rerun gives the same result") {
  CaSeries series;
  const auto target = series.path("target");
  const auto reference = series.path("reference");
  for (const auto& repo : {target, reference})
    require_ok(certvault_test::certvault("init --repo " + quoted(repo.string())));
  const auto source_list = snapshots_json(series.source());
  REQUIRE(source_list.size() == 5);
  {
    auto from = certvault::Repository::open(series.source(), certvault::LockMode::kShared);
    auto to = certvault::Repository::open(target, certvault::LockMode::kExclusive);
    certvault::CopyRequest request;
    request.all = true;
    size_t committed = 0;
    request.on_snapshot = [&](const certvault::CopiedSnapshot& s) { committed += s.copied ? 1 : 0; };
    size_t files_of_third = 0;
    request.after_file = [&](const std::string& id, const std::string&) {
      // Some files of the third snapshot are written (their packs may be committed), then it stops.
      if (id == source_list[2].at("id").get<std::string>() && ++files_of_third == 2) throw Interrupted();
    };
    REQUIRE_THROWS_AS(certvault::copy_snapshots(*from, *to, request), Interrupted);
    CHECK(committed == 2);
  }
  const auto partial = snapshots_json(target);
  REQUIRE(partial.size() == 2);
  CHECK(partial[1].at("id") == source_list[1].at("id"));
  // Valid as it stands: what the interrupted snapshot left is garbage, not damage.
  const auto checked = certvault_test::certvault("check --repo " + quoted(target.string()));
  INFO(checked.output);
  CHECK(checked.exit_code == 0);

  const auto rerun = certvault_test::certvault("copy --all --json" + copy_args(series.source(), target));
  INFO(rerun.output);
  REQUIRE(rerun.exit_code == 0);
  const auto report = nlohmann::json::parse(rerun.output);
  CHECK(report.at("copied") == 3);
  CHECK(report.at("skipped") == 2);

  // The same as an uninterrupted copy: snapshots and exports.
  require_ok(certvault_test::certvault("copy --all" + copy_args(series.source(), reference)));
  const auto resumed = snapshots_json(target);
  const auto whole = snapshots_json(reference);
  REQUIRE(resumed.size() == whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    CHECK(resumed[i].at("id") == whole[i].at("id"));
    CHECK(resumed[i].at("parent") == whole[i].at("parent"));
    CHECK(resumed[i].at("base_full") == whole[i].at("base_full"));
    CHECK(resumed[i].at("logical_bytes") == whole[i].at("logical_bytes"));
  }
  for (const auto& snapshot : whole) {
    const std::string id = snapshot.at("id");
    CHECK(exported(target, id, series.path("a-" + id)) == exported(reference, id, series.path("b-" + id)));
  }
  require_ok(certvault_test::certvault("prune --repo " + quoted(target.string())));
  const auto clean = certvault_test::certvault("check --read-data --repo " + quoted(target.string()));
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.output, !Catch::Contains("warning"));
}

TEST_CASE("a copy killed between its manifest and its catalog commit is completed by the rerun") {
  CaSeries series;
  const auto target = series.path("target");
  require_ok(certvault_test::certvault("init --repo " + quoted(target.string())));
  const std::string first = snapshots_json(series.source())[0].at("id");
  require_ok(certvault_test::certvault("copy " + first + copy_args(series.source(), target)));
  // The state such a kill leaves: the manifest object is written, the catalog never listed it.
  const std::string manifest = "snapshots/" + first + ".snap";
  std::vector<uint8_t> bytes;
  {
    auto repository = certvault::Repository::open(target, certvault::LockMode::kShared);
    bytes = repository->objects().read_all(manifest);
  }
  require_ok(certvault_test::certvault("forget " + first + " --repo " + quoted(target.string())));
  {
    auto repository = certvault::Repository::open(target, certvault::LockMode::kExclusive);
    repository->objects().put(manifest, bytes);
    REQUIRE(!repository->catalog().has_snapshot(first));
  }
  const auto rerun = certvault_test::certvault("copy --json " + first + copy_args(series.source(), target));
  INFO(rerun.output);
  REQUIRE(rerun.exit_code == 0);
  CHECK(nlohmann::json::parse(rerun.output).at("copied") == 1);
  const auto listed = snapshots_json(target);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].at("id") == first);
  const auto checked = certvault_test::certvault("check --read-data --repo " + quoted(target.string()));
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("copies killed (SIGKILL) at several moments, then a rerun: the same snapshots and exports, check clean") {
  CaSeries series;
  const auto target = series.path("target");
  require_ok(certvault_test::certvault("init --repo " + quoted(target.string())));
  const std::string copy_line = "copy --all" + copy_args(series.source(), target);
  // Wherever each kill lands (opening, inside a file, between commit steps, after the end), the
  // target must stay usable and the next run must continue.
  for (const char* delay : {"0.05", "0.2", "0.4", "0.8"}) {
    const auto killed = certvault_test::run("timeout -s KILL " + std::string(delay) + " " +
                                            quoted(certvault_test::certvault_binary().string()) + " " + copy_line);
    INFO("killed after " << delay << " s: exit " << killed.exit_code << "\n" << killed.output);
    CHECK((killed.exit_code == 0 || killed.exit_code == 137));
    const auto listed = certvault_test::certvault("snapshots --json --repo " + quoted(target.string()));
    INFO(listed.output);
    CHECK(listed.exit_code == 0);
  }
  const auto rerun = certvault_test::certvault(copy_line);
  INFO(rerun.output);
  REQUIRE(rerun.exit_code == 0);
  const auto source_list = snapshots_json(series.source());
  const auto copied = snapshots_json(target);
  REQUIRE(copied.size() == source_list.size());
  for (size_t i = 0; i < copied.size(); ++i) {
    CHECK(copied[i].at("id") == source_list[i].at("id"));
    CHECK(copied[i].at("parent") == source_list[i].at("parent"));
    const std::string id = copied[i].at("id");
    CHECK(exported(target, id, series.path("a-" + id)) == exported(series.source(), id, series.path("b-" + id)));
  }
  const auto again = certvault_test::certvault(copy_line);
  CHECK_THAT(again.output, Catch::Contains("nothing to copy"));
  require_ok(certvault_test::certvault("prune --repo " + quoted(target.string())));
  const auto clean = certvault_test::certvault("check --read-data --repo " + quoted(target.string()));
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
}
