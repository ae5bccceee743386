// Crashes and failures at every step of a backup leave the repository as it
// was: it opens, earlier snapshots export identically, partial snapshots are
// invisible, and the next backup works.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/repository/repair.h"
#include "repository_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {
void make_source(const std::filesystem::path& source, uint64_t seed) {
  write_bytes(source / "db.edb", random_bytes(3u << 20, seed));
  write_bytes(source / "logs/edb00001.log", random_bytes(1u << 20, seed + 100));
}
}  // namespace

TEST_CASE("a failure or crash at any object-store step leaves the old state") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  make_source(source, 1);
  const auto first = fixture.back_up(source);
  const auto first_contents = fixture.exported(first);
  make_source(source, 2);

  // Count the steps of the same backup in a twin repository with the same history.
  uint64_t total_steps = 0;
  {
    RepositoryFixture twin;
    make_source(source, 1);
    twin.back_up(source);
    make_source(source, 2);
    auto repository = twin.open();
    auto counter = std::make_shared<uint64_t>(0);
    repository->wrap_object_store_for_testing([&](std::unique_ptr<ObjectStore> current) {
      return make_fault_injecting_store(std::move(current), FaultPlan{}, counter);
    });
    back_up_folder(*repository, {source, {}, {}});
    total_steps = *counter;
  }
  REQUIRE(total_steps > 10);
  // Every early and late step (pack creation, commits, recipes, manifest), and a spread between.
  std::set<uint64_t> steps;
  for (uint64_t s = 1; s <= 12; ++s) steps.insert(s);
  for (uint64_t s = 0; s < 40; ++s) steps.insert(1 + s * total_steps / 40);
  // The twin chunks with other keys, so its count is close but not exact: cover a margin, then
  // every step until a backup gets through.
  for (uint64_t s = total_steps - total_steps / 10; s <= 3 * total_steps; ++s) steps.insert(s);

  size_t committed = 1;
  for (auto mode : {FaultMode::kThrow, FaultMode::kCrash}) {
    bool reached_success = false;
    for (uint64_t step : steps) {
      INFO("mode " << (mode == FaultMode::kThrow ? "throw" : "crash") << ", failing step " << step << " of "
                   << total_steps);
      {
        auto repository = fixture.open();
        repository->wrap_object_store_for_testing([&](std::unique_ptr<ObjectStore> current) {
          return make_fault_injecting_store(std::move(current), FaultPlan{step, mode, ""});
        });
        try {
          back_up_folder(*repository, {source, {}, {}});
          reached_success = true;  // the fault step lies beyond the last step of a backup
        } catch (const CrashInjected&) {
        } catch (const Error&) {
        }
      }
      if (reached_success) break;
      auto repository = fixture.open(LockMode::kShared);
      const auto snapshots = repository->catalog().snapshots();
      REQUIRE(snapshots.size() == committed);
      CHECK(snapshots[0].id == first);
    }
    CHECK(reached_success);
    ++committed;
    CHECK(fixture.exported(first) == first_contents);
    // The snapshot that finally succeeded is complete.
    auto repository = fixture.open(LockMode::kShared);
    CHECK(fixture.exported(repository->resolve("latest")) == folder_contents(source));
  }
}

TEST_CASE("a backup process killed at random moments never damages the repository") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  make_source(source, 10);
  const auto first = fixture.back_up(source);
  const auto first_contents = fixture.exported(first);
  const std::string backup_command = quoted(certvault_binary().string()) + " backup --repo " +
                                     quoted(fixture.repo_path().string()) + " --folder " + quoted(source.string());
  std::mt19937 random(1234);
  for (int round = 0; round < 8; ++round) {
    make_source(source, 20 + static_cast<uint64_t>(round));
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      execl("/bin/sh", "sh", "-c", (backup_command + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    // The shell may have been killed while certvault lives on: wait for the lock to free.
    for (int tries = 0; tries < 100; ++tries) {
      try {
        fixture.open();
        break;
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kLocked) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    INFO("round " << round);
    CHECK(fixture.exported(first) == first_contents);
  }
  const auto last = fixture.back_up(source);
  CHECK(fixture.exported(last) == folder_contents(source));
}

TEST_CASE("two concurrent backups: both succeed or one fails with a lock message") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  make_source(source, 30);
  const std::string command = quoted(certvault_binary().string()) + " backup --repo " +
                              quoted(fixture.repo_path().string()) + " --folder " + quoted(source.string());
  CommandResult a, b;
  std::thread first([&] { a = run(command); });
  std::thread second([&] { b = run(command); });
  first.join();
  second.join();
  INFO("first: " << a.output << "\nsecond: " << b.output);
  for (const auto* result : {&a, &b}) {
    const bool ok = result->exit_code == 0;
    const bool locked = result->exit_code == 3 && result->output.find("locked by pid") != std::string::npos;
    CHECK((ok || locked));
  }
  CHECK((a.exit_code == 0 || b.exit_code == 0));
  auto repository = fixture.open(LockMode::kShared);
  const auto snapshots = repository->catalog().snapshots();
  CHECK(snapshots.size() == static_cast<size_t>((a.exit_code == 0) + (b.exit_code == 0)));
  for (const auto& snapshot : snapshots) CHECK(fixture.exported(snapshot.id) == folder_contents(source));
}

TEST_CASE("repair catalog rebuilds every snapshot from the objects alone") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::vector<uint8_t>>>>> expected;
  for (uint64_t generation = 0; generation < 4; ++generation) {
    make_source(source, 40 + generation);
    const auto id = fixture.back_up(source);
    expected.emplace_back(id, folder_contents(source));
  }
  std::filesystem::remove(Repository::catalog_path(fixture.repo_path()));
  CHECK_THROWS_WITH(fixture.open(), Catch::Contains("repair catalog"));
  const auto report = repair_catalog(fixture.repo_path());
  CHECK(report.problems.empty());
  CHECK(report.snapshots == 4);
  for (const auto& [id, contents] : expected) CHECK(fixture.exported(id) == contents);
  // The repaired repository takes new backups.
  make_source(source, 99);
  CHECK(fixture.exported(fixture.back_up(source)) == folder_contents(source));
}

TEST_CASE("repair keeps truncation records and replaces a damaged catalog") {
  RepositoryFixture fixture;
  const auto source = fixture.scratch("source");
  make_source(source, 70);
  const auto id = fixture.back_up(source);
  fixture.open()->catalog().record_truncation({id, 1234, 0, "logs truncated"});
  const auto report = repair_catalog(fixture.repo_path());
  CHECK(report.problems.empty());
  CHECK_FALSE(report.old_catalog_moved_to.empty());
  CHECK(fixture.open(LockMode::kShared)->catalog().truncations(id).size() == 1);
  // A catalog overwritten with garbage: repair reports the lost records and rebuilds the rest.
  write_bytes(Repository::catalog_path(fixture.repo_path()), random_bytes(8192, 1));
  CHECK_THROWS_WITH(fixture.open(), Catch::Contains("repair catalog"));
  const auto second = repair_catalog(fixture.repo_path());
  CHECK(second.snapshots == 1);
  CHECK(fixture.exported(id) == folder_contents(source));
}
