// Issue 15, item 7 (exports): the temporary of a killed export is removed, and named, by the next
// export or by prune; one whose export still runs (its record locked) is left alone.
#include <catch2/catch.hpp>

#include "certvault/base/file_system.h"
#include "test_support.h"

namespace {

using certvault_test::quoted;

// What a killed export leaves: its record in REPO/exports/ (unlocked: its process is gone) and its
// partial folder beside the target.
std::filesystem::path leave_killed_export(const std::filesystem::path& repo, const std::filesystem::path& parent,
                                          const std::string& id) {
  const auto staging = parent / (".out.certvault-partial-" + id);
  certvault_test::write_bytes(staging / "DataBase" / "half.edb", certvault_test::random_bytes(4096, 1));
  const auto text = staging.string();
  certvault_test::write_bytes(repo / "exports" / id, std::vector<uint8_t>(text.begin(), text.end()));
  return staging;
}

}  // namespace

TEST_CASE("a killed export's temporary folder is removed and named by the next export and by prune") {
  certvault_test::TempFolder temp("safety-exports");
  const auto repo = temp / "repo";
  const auto source = temp / "source";
  certvault_test::write_bytes(source / "a.bin", certvault_test::random_bytes(10000, 2));
  const std::string r = " --repo " + quoted(repo.string());
  REQUIRE(certvault_test::certvault("init" + r).exit_code == 0);
  REQUIRE(certvault_test::certvault("backup --folder " + quoted(source.string()) + r).exit_code == 0);

  const auto first = leave_killed_export(repo, temp.path(), "1111");
  // A record still locked by a running export is not touched.
  const auto running = leave_killed_export(repo, temp.path(), "2222");
  auto held = certvault::os::file_system().open(repo / "exports" / "2222", certvault::os::OpenFor::kReadWrite, "test");
  REQUIRE(held->try_lock_file(certvault::os::LockKind::kExclusive));

  const auto exported = certvault_test::certvault("export latest --to " + quoted((temp / "out").string()) + r);
  INFO(exported.output);
  CHECK(exported.exit_code == 0);
  CHECK_THAT(exported.output, Catch::Contains("removed the temporary of an export that did not finish") &&
                                  Catch::Contains(".out.certvault-partial-1111"));
  CHECK(!std::filesystem::exists(first));
  CHECK(std::filesystem::exists(running));
  CHECK(std::filesystem::exists(temp / "out" / "a.bin"));
  // The export's own record is gone once it finished; only the running one's remains.
  CHECK(std::filesystem::exists(repo / "exports" / "2222"));
  CHECK(!std::filesystem::exists(repo / "exports" / "1111"));
  held.reset();

  const auto second = leave_killed_export(repo, temp.path(), "3333");
  const auto pruned = certvault_test::certvault("prune" + r);
  INFO(pruned.output);
  CHECK(pruned.exit_code == 0);
  CHECK_THAT(pruned.output, Catch::Contains(".out.certvault-partial-3333"));
  CHECK_THAT(pruned.output, Catch::Contains(".out.certvault-partial-2222"));
  CHECK(!std::filesystem::exists(second));
  CHECK(!std::filesystem::exists(running));
  CHECK(std::filesystem::is_empty(repo / "exports"));
  const auto checked = certvault_test::certvault("check" + r);
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
}
