// prune (and forget) killed at any object-store step: the repository checks
// clean, with at most warnings about leftovers, and a rerun finishes the work.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"
#include "maintenance_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {
using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

void wrap_with_faults(Repository& repository, FaultPlan plan, std::shared_ptr<uint64_t> counter = nullptr) {
  repository.wrap_object_store_for_testing([&](std::unique_ptr<ObjectStore> current) {
    return make_fault_injecting_store(std::move(current), plan, counter);
  });
}

CheckReport check_at(const std::filesystem::path& dir) {
  auto repository = Repository::open(dir, LockMode::kShared);
  return check_repository(*repository, {true, 0, {}});
}

Files exported_from(const std::filesystem::path& dir, const std::string& id, const std::filesystem::path& target) {
  auto repository = Repository::open(dir, LockMode::kShared);
  export_snapshot(*repository, id, {target, false});
  return folder_contents(target);
}
}  // namespace

TEST_CASE("prune killed or failing at each step leaves a repository that checks clean; a rerun completes") {
  // A repository with every kind of work for prune: a forgotten snapshot's
  // manifest-less data (whole packs to delete), a half-used pack to repack,
  // and a leftover pack of a crashed backup.
  MaintenanceRepo pristine;
  const auto source = pristine.scratch("source");
  const auto keep = random_bytes(100u << 10, 31);
  const auto big = random_bytes(200u << 10, 33);
  set_folder(
      source,
      {{"keep.bin", keep}, {"drop.bin", random_bytes(100u << 10, 32)}, {"old.bin", random_bytes(1100u << 10, 34)}});
  const auto s1 = pristine.back_up(source);
  const Files second = {{"big.bin", big}, {"keep.bin", keep}};
  set_folder(source, second);
  const auto s2 = pristine.back_up(source);
  pristine.forget({s1});
  {
    const auto some_pack = *pristine.pack_files().begin();
    const auto leftover = pristine.repo_path() / "packs" / "ff" / (std::string(32, 'f') + ".pack");
    std::filesystem::create_directories(leftover.parent_path());
    std::filesystem::copy_file(pristine.repo_path() / some_pack, leftover);
  }
  REQUIRE(pristine.check(true).ok());

  uint64_t total_steps = 0;
  const auto twin = pristine.scratch("twin");
  std::filesystem::copy(pristine.repo_path(), twin, std::filesystem::copy_options::recursive);
  {
    auto repository = Repository::open(twin, LockMode::kExclusive);
    auto counter = std::make_shared<uint64_t>(0);
    wrap_with_faults(*repository, FaultPlan{}, counter);
    const auto report = prune_repository(*repository, {});
    total_steps = *counter;
    REQUIRE(report.packs_deleted >= 1);
    REQUIRE(report.packs_repacked == 1);
    REQUIRE(report.orphan_packs_removed == 1);
  }
  const auto expected_packs = check_at(twin).packs;
  REQUIRE(total_steps >= 16);
  INFO("prune takes " << total_steps << " object-store steps");

  // Every step would be slow (most are appends of one entry to the repacked
  // pack, all alike): the first and last steps (deleting packs, creating,
  // committing and switching to the new pack, deleting old ones) and a spread.
  std::set<uint64_t> steps;
  for (uint64_t s = 1; s <= 6; ++s) steps.insert(s);
  for (uint64_t s = total_steps - 6; s <= total_steps; ++s) steps.insert(s);
  for (uint64_t s = 0; s < 6; ++s) steps.insert(1 + s * total_steps / 6);
  int run = 0;
  for (auto mode : {FaultMode::kCrash, FaultMode::kThrow}) {
    for (const uint64_t step : steps) {
      INFO("mode " << (mode == FaultMode::kCrash ? "crash" : "throw") << ", failing step " << step << " of "
                   << total_steps);
      const auto work = pristine.scratch("work-" + std::to_string(++run));
      std::filesystem::copy(pristine.repo_path(), work, std::filesystem::copy_options::recursive);
      {
        auto repository = Repository::open(work, LockMode::kExclusive);
        wrap_with_faults(*repository, FaultPlan{step, mode, ""});
        CHECK_THROWS(prune_repository(*repository, {}));
      }
      const auto interrupted = check_at(work);
      INFO(joined(interrupted.problems));
      REQUIRE(interrupted.ok());
      {
        auto repository = Repository::open(work, LockMode::kExclusive);
        prune_repository(*repository, {});
      }
      const auto finished = check_at(work);
      INFO(joined(finished.problems) << joined(finished.warnings));
      REQUIRE(finished.ok());
      CHECK(finished.warnings.empty());
      CHECK(finished.packs == expected_packs);
      CHECK(exported_from(work, s2, pristine.scratch("export-" + std::to_string(run))) == second);
      std::filesystem::remove_all(work);
    }
  }
}

TEST_CASE("forget killed between the catalog and the manifest leaves a warning; a rerun finishes") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  set_folder(source, {{"a.bin", random_bytes(50000, 41)}});
  const auto s1 = repo.back_up(source);
  set_folder(source, {{"a.bin", random_bytes(50000, 42)}});
  repo.back_up(source);
  {
    auto repository = repo.open();
    wrap_with_faults(*repository, FaultPlan{1, FaultMode::kCrash, ""});
    CHECK_THROWS_AS(forget_snapshots(*repository, {s1}), CrashInjected);
  }
  auto check = repo.check(false);
  CHECK(check.ok());
  REQUIRE(check.warnings.size() == 1);
  CHECK(check.warnings[0].find("snapshots/" + s1 + ".snap") != std::string::npos);
  CHECK(repo.open(LockMode::kShared)->catalog().snapshots().size() == 1);

  repo.forget({s1});  // the rerun: rows are gone, the manifest goes now
  check = repo.check(false);
  CHECK(check.ok());
  CHECK(check.warnings.empty());
}
