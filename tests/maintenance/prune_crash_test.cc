// prune (and forget) failing or killed at any file-system step: the
// repository checks clean, with at most warnings about leftovers, and a rerun
// finishes the work. (tests/power cuts the power at each of prune's sync points.)
#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "fault_injecting_file_system.h"
#include "maintenance_fixture.h"
#include "power_loss_file_system.h"

using namespace certvault;
using namespace certvault_test;

namespace {
using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

CheckReport check_at(const std::filesystem::path& dir) {
  auto repository = Repository::open(dir, LockMode::kShared, [](const std::string&) {});
  return check_repository(*repository, {true, 0, {}});
}

Files exported_from(const std::filesystem::path& dir, const std::string& id, const std::filesystem::path& target) {
  auto repository = Repository::open(dir, LockMode::kShared, [](const std::string&) {});
  export_snapshot(*repository, id, {target, false});
  return folder_contents(target);
}
}  // namespace

TEST_CASE("prune killed or failing at each step leaves a repository that checks clean, and a rerun completes") {
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
    // Private, as certvault makes what it creates: check's permission warnings are not this test's.
    std::filesystem::permissions(leftover.parent_path(), std::filesystem::perms::owner_all);
    std::filesystem::copy_file(pristine.repo_path() / some_pack, leftover);
  }
  REQUIRE(pristine.check(true).ok());

  uint64_t total_calls = 0, total_points = 0;
  const auto twin = pristine.scratch("twin");
  std::filesystem::copy(pristine.repo_path(), twin, std::filesystem::copy_options::recursive);
  {
    FaultInjectingFileSystem counter;
    counter.add(Fault{FaultKind::kIoError, UINT64_MAX, {}, twin.string()});
    PowerLossFileSystem points(twin, counter);
    os::ScopedFileSystem scope(points);
    auto repository = Repository::open(twin, LockMode::kExclusive);
    const auto report = prune_repository(*repository, {});
    total_calls = counter.counted()[0];
    total_points = points.sync_points();
    REQUIRE(report.packs_deleted >= 1);
    REQUIRE(report.packs_repacked == 1);
    REQUIRE(report.orphan_packs_removed == 1);
  }
  const auto expected_packs = check_at(twin).packs;
  REQUIRE(total_calls >= 50);
  REQUIRE(total_points >= 10);
  INFO("prune makes " << total_calls << " file-system calls with " << total_points << " sync points");

  // Every call and every sync point (about 10 s under ASan): a spread of calls missed those whose
  // failure leaks or misleads, as the backup's crash test showed.
  std::vector<uint64_t> calls(total_calls);
  std::iota(calls.begin(), calls.end(), uint64_t{1});
  int run = 0;
  const auto interrupted_then_rerun = [&](const std::function<void(const std::filesystem::path&)>& interrupt) {
    const auto work = pristine.scratch("work-" + std::to_string(++run));
    std::filesystem::copy(pristine.repo_path(), work, std::filesystem::copy_options::recursive);
    interrupt(work);
    const auto interrupted = check_at(work);
    INFO(joined(interrupted.problems));
    REQUIRE(interrupted.ok());
    {
      auto repository = Repository::open(work, LockMode::kExclusive, [](const std::string&) {});
      prune_repository(*repository, {});
    }
    const auto finished = check_at(work);
    INFO(joined(finished.problems) << joined(finished.warnings));
    REQUIRE(finished.ok());
    CHECK(finished.warnings.empty());
    CHECK(finished.packs == expected_packs);
    CHECK(exported_from(work, s2, pristine.scratch("export-" + std::to_string(run))) == second);
    std::filesystem::remove_all(work);
  };
  size_t injected = 0;
  for (const uint64_t call : calls) {
    INFO("I/O error at file-system call " << call << " of " << total_calls);
    interrupted_then_rerun([&](const std::filesystem::path& work) {
      FaultInjectingFileSystem files;
      files.add(Fault{FaultKind::kIoError, call, {}, (work / "").string()});
      os::ScopedFileSystem scope(files);
      try {
        auto repository = Repository::open(work, LockMode::kExclusive);
        prune_repository(*repository, {});
      } catch (const std::exception&) {
        // Most calls fail prune; a failure while it cleans up after itself (the lock record) does not.
      }
      injected += files.injected().size();
    });
  }
  // Pack names are random: a new pack's folder may exist already, which saves up to three calls
  // (status, create, sync) per pack, so the last calls counted on the twin may never come.
  CHECK(injected + 6 >= calls.size());
  for (uint64_t point = 1; point <= total_points; ++point) {
    INFO("killed at sync point " << point << " of " << total_points);
    interrupted_then_rerun([&](const std::filesystem::path& work) {
      PowerLossFileSystem files(work);
      files.cut_at(point, CutWhen::kBefore);
      os::ScopedFileSystem scope(files);
      try {
        auto repository = Repository::open(work, LockMode::kExclusive);
        prune_repository(*repository, {});
      } catch (const std::exception&) {
      }
      CHECK(files.power_is_off());
    });
  }
}

TEST_CASE("forget failing between the catalog and the manifest leaves a warning, and a rerun finishes") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  set_folder(source, {{"a.bin", random_bytes(50000, 41)}});
  const auto s1 = repo.back_up(source);
  set_folder(source, {{"a.bin", random_bytes(50000, 42)}});
  repo.back_up(source);
  {
    // The catalog's rows go first; the manifest's removal fails, as a killed process would never do it.
    FaultInjectingFileSystem files;
    files.add(Fault{FaultKind::kIoError, 1, {Call::kRemoveFile}, "snapshots"});
    os::ScopedFileSystem scope(files);
    auto repository = repo.open();
    CHECK_THROWS_AS(forget_snapshots(*repository, {s1}), Error);
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
