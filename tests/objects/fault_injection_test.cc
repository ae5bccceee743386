#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"
#include "temp_folder.h"

using namespace certvault;
using certvault::testing::bytes_of;
using certvault::testing::count_temp_files;
using certvault::testing::TempFolder;

namespace {
// Steps: 1 create, 2 append, 3 append, 4 commit, 5 remove.
void write_then_remove(ObjectStore& store) {
  auto writer = store.create("packs/aa/object");
  writer->append(bytes_of("hello "));
  writer->append(std::vector<uint8_t>(3 << 20, 1));  // beyond the write buffer: bytes reach the temp file
  writer->commit();
  store.remove("packs/aa/object");
}

struct Outcome {
  bool object_exists;
  size_t temp_files;
};

Outcome run_with_fault(uint64_t step, FaultMode mode) {
  TempFolder folder;
  auto store = make_fault_injecting_store(open_local_object_store(folder.path()), FaultPlan{step, mode, ""});
  if (mode == FaultMode::kCrash) {
    CHECK_THROWS_AS(write_then_remove(*store), CrashInjected);
  } else {
    try {
      write_then_remove(*store);
      FAIL("no failure injected at step " << step);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kFailure);
      CHECK_THAT(e.what(), Catch::Contains("packs/aa/object") && Catch::Contains("No space left on device"));
    }
  }
  store.reset();
  auto after = open_local_object_store(folder.path());  // what the next process finds
  return {after->exists("packs/aa/object"), count_temp_files(folder.path())};
}
}  // namespace

TEST_CASE("fault injection: without a planned fault every step succeeds") {
  TempFolder folder;
  auto counter = std::make_shared<uint64_t>(0);
  auto store = make_fault_injecting_store(open_local_object_store(folder.path()), FaultPlan{}, counter);
  write_then_remove(*store);
  CHECK(*counter == 5);
  CHECK(store->list("").empty());
}

TEST_CASE("fault injection: a failing disk (kThrow) leaves no object and no temp file before commit") {
  for (uint64_t step : {1, 2, 3, 4}) {
    INFO("step " << step);
    const auto outcome = run_with_fault(step, FaultMode::kThrow);
    CHECK_FALSE(outcome.object_exists);
    CHECK(outcome.temp_files == 0);
  }
  const auto at_remove = run_with_fault(5, FaultMode::kThrow);
  CHECK(at_remove.object_exists);
  CHECK(at_remove.temp_files == 0);
}

TEST_CASE("fault injection: a crash (kCrash) leaves what a killed process would leave") {
  const auto at_create = run_with_fault(1, FaultMode::kCrash);
  CHECK_FALSE(at_create.object_exists);
  CHECK(at_create.temp_files == 0);
  for (uint64_t step : {2, 3, 4}) {
    INFO("step " << step);
    const auto outcome = run_with_fault(step, FaultMode::kCrash);
    CHECK_FALSE(outcome.object_exists);
    CHECK(outcome.temp_files == 1);  // the writer's temp file was never cleaned up
  }
  const auto at_remove = run_with_fault(5, FaultMode::kCrash);
  CHECK(at_remove.object_exists);
  CHECK(at_remove.temp_files == 0);
}

TEST_CASE("fault injection: after a crash nothing more is written") {
  TempFolder folder;
  auto store = make_fault_injecting_store(open_local_object_store(folder.path()), FaultPlan{2, FaultMode::kCrash, ""});
  auto writer = store->create("a");
  CHECK_THROWS_AS(writer->append(bytes_of("x")), CrashInjected);
  CHECK_THROWS_AS(writer->commit(), CrashInjected);
  CHECK_THROWS_AS(store->put("b", bytes_of("y")), CrashInjected);
  CHECK(store->list("").empty());
  CHECK(open_local_object_store(folder.path())->remove_temporaries() == 1);
}

TEST_CASE("fault injection: only_prefix counts steps on matching names only, with a shared counter") {
  TempFolder folder;
  auto counter = std::make_shared<uint64_t>(0);
  auto store = make_fault_injecting_store(open_local_object_store(folder.path()),
                                          FaultPlan{3, FaultMode::kThrow, "snapshots/"}, counter);
  store->put("packs/p1", bytes_of("pack"));  // not counted
  CHECK(*counter == 0);
  CHECK_THROWS_AS(store->put("snapshots/s1", bytes_of("snap")), Error);  // create 1, append 2, commit 3 fails
  CHECK(*counter == 3);
  CHECK(store->list("") == std::vector<std::string>{"packs/p1"});
  store->put("snapshots/s2", bytes_of("snap"));  // steps 4-6 pass
  CHECK(store->list("snapshots/") == std::vector<std::string>{"snapshots/s2"});
}
