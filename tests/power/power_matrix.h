// The crash matrix's harness: run an operation against the power-loss file
// system (tests/support/power_loss_file_system.h), cut the power at each of its
// sync points and just after each, leave the disk as the power cut would, and
// hand the result to the test's checks — which reopen everything with the
// real file system.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "certvault/base/file_system.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/check.h"
#include "certvault/repository/repository.h"
#include "fault_injecting_file_system.h"
#include "power_loss_file_system.h"
#include "test_support.h"

namespace power_test {

namespace fs = std::filesystem;
using certvault_test::CutWhen;
using certvault_test::PowerLossFileSystem;
using certvault_test::UnsyncedWrites;
using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

// One cut of the matrix.
struct Cut {
  uint64_t point = 0;
  CutWhen when = CutWhen::kBefore;
  UnsyncedWrites unsynced = UnsyncedWrites::kLost;
  bool returned = false;  // the operation returned (the cut, if any, came after its last sync point)
  std::string describe() const {
    static const char* const kUnsynced[] = {"unsynced writes lost", "the earlier half of unsynced writes on disk",
                                            "every unsynced write on disk"};
    return std::string("power cut ") + (when == CutWhen::kBefore ? "at" : "just after") + " sync point " +
           std::to_string(point) + ", " + kUnsynced[static_cast<int>(unsynced)];
  }
};

// The (when, unsynced) pairs every sync point gets: before and after it with
// every unsynced byte lost (the model the matrix is about), and before it with
// the earlier half of the unsynced writes on disk (a torn write set) — that
// one only where some file holds unsynced writes at the cut.
inline const std::vector<std::pair<CutWhen, UnsyncedWrites>>& cuts_per_point() {
  static const std::vector<std::pair<CutWhen, UnsyncedWrites>> cuts = {
      {CutWhen::kBefore, UnsyncedWrites::kLost},
      {CutWhen::kAfter, UnsyncedWrites::kLost},
      {CutWhen::kBefore, UnsyncedWrites::kEarlierHalfReachedDisk},
  };
  return cuts;
}

// Runs the matrix: for N = 1, 2, ... and each pair of cuts_per_point(),
// `prepare(work)` makes a fresh copy of the starting state in `work` (the
// power-loss file system watches all of it), `operation(work)` runs with the
// power cut at N, the disk is left as the cut leaves it, and `verify(work, cut)`
// checks it. Ends once the operation runs past its last sync point; returns
// how many sync points it has.
inline uint64_t cut_at_every_sync_point(const fs::path& scratch, const std::function<void(const fs::path&)>& prepare,
                                        const std::function<void(const fs::path&)>& operation,
                                        const std::function<void(const fs::path&, const Cut&)>& verify) {
  int run = 0;
  for (uint64_t point = 1;; ++point) {
    bool torn_writes_possible = true;
    for (const auto& [when, unsynced] : cuts_per_point()) {
      // With no file holding unsynced writes at the cut, every UnsyncedWrites choice leaves the same disk.
      if (unsynced != UnsyncedWrites::kLost && !torn_writes_possible) continue;
      const fs::path work = scratch / ("cut-" + std::to_string(++run));
      prepare(work);
      Cut cut{point, when, unsynced, false};
      bool power_cut = false;
      std::vector<std::string> untracked;
      std::vector<std::string> log;
      {
        PowerLossFileSystem files(work);
        files.cut_at(point, when);
        {
          certvault::os::ScopedFileSystem scope(files);
          try {
            operation(work);
            cut.returned = true;
          } catch (...) {
            // Whatever the process saw of the dying disk; the checks below judge what is left.
          }
        }
        power_cut = files.power_is_off();
        if (when == CutWhen::kBefore && unsynced == UnsyncedWrites::kLost)
          torn_writes_possible = files.has_unsynced_writes();
        untracked = files.untracked_changes();
        log = files.sync_point_log();
        files.restore_durable_state(unsynced);
      }
      INFO(cut.describe() << (log.size() >= point ? " (" + log[point - 1] + ")" : std::string()));
      INFO("changes that bypassed the file-system seam: " << Catch::Detail::stringify(untracked));
      CHECK(untracked.empty());
      if (!power_cut) {
        // The operation ran past its last sync point: the matrix is complete.
        REQUIRE(cut.returned);
        // Normally the matrix ends at "before point N" with N one past the last sync point. Ending at
        // "just after N" means this run had fewer sync points than the one cut before N: the count
        // may vary with scheduling (workers, the machine's core count). The disk is still that of
        // a finished operation, so it is checked the same; the variance is reported, not failed.
        if (when != CutWhen::kBefore)
          WARN("the operation had " << point - 1 << " sync points in this run, more in an earlier one");
        verify(work, cut);
        fs::remove_all(work);
        return point - 1;
      }
      verify(work, cut);
      fs::remove_all(work);
    }
  }
}

// One run of the I/O-error matrix: the `call`-th file-system call under the work folder failed.
struct Failure {
  uint64_t call = 0;
  bool returned = false;  // the operation returned (it went on past the failure, or never made the call)
  std::string error;      // what it threw, if it did
  std::string describe() const {
    return "I/O error at file-system call " + std::to_string(call) + (returned ? ", returned" : ", threw: " + error);
  }
};

// The matrix with an I/O error instead of a power cut: for N = 1, 2, ... `prepare(work)` makes a
// fresh copy of the starting state, `operation(work)` runs with its N-th file-system call under
// `work` failing once (the process goes on through its own error paths, which a power cut never
// runs), and `verify(work, failure)` checks what is left. Ends once N lies beyond the operation's
// last call; returns how many calls it made.
inline uint64_t fail_at_every_call(const fs::path& scratch, const std::function<void(const fs::path&)>& prepare,
                                   const std::function<void(const fs::path&)>& operation,
                                   const std::function<void(const fs::path&, const Failure&)>& verify) {
  for (uint64_t call = 1;; ++call) {
    const fs::path work = scratch / ("fail-" + std::to_string(call));
    prepare(work);
    Failure failure{call, false, {}};
    certvault_test::FaultInjectingFileSystem files;
    files.add({certvault_test::FaultKind::kIoError, call, {}, (work / "").string()});
    {
      certvault::os::ScopedFileSystem scope(files);
      try {
        operation(work);
        failure.returned = true;
      } catch (const std::exception& e) {
        failure.error = e.what();
      }
    }
    INFO(failure.describe());
    const bool past_last_call = files.injected().empty();
    if (past_last_call) REQUIRE(failure.returned);
    verify(work, failure);
    fs::remove_all(work);
    if (past_last_call) return call - 1;
  }
}

// Opens a repository after a cut, quietly taking over the dead process's lock record.
inline std::unique_ptr<certvault::Repository> reopen(const fs::path& repository,
                                                     certvault::LockMode mode = certvault::LockMode::kShared) {
  return certvault::Repository::open(repository, mode, [](const std::string&) {});
}

// Exports snapshot `id` into a fresh folder beside `work` and returns its files. The export runs under a
// power-loss file system of its own, which makes its fsyncs free: the export is not what is tested here.
inline Files exported(const fs::path& repository, const std::string& id, const fs::path& scratch) {
  const fs::path root = scratch / ("export-" + id.substr(0, 12));
  fs::remove_all(root);
  fs::create_directories(root);
  {
    auto opened = reopen(repository);
    PowerLossFileSystem files(root);
    certvault::os::ScopedFileSystem scope(files);
    certvault::export_snapshot(*opened, id, {root / "out", false});
  }
  auto contents = certvault_test::folder_contents(root / "out");
  fs::remove_all(root);
  return contents;
}

// `check --read-data` through the library: every chunk read and verified, every file rebuilt.
inline void require_check_clean(const fs::path& repository) {
  auto opened = reopen(repository);
  const auto report = certvault::check_repository(*opened, {true, 0, {}});
  INFO("check problems: " << Catch::Detail::stringify(report.problems));
  REQUIRE(report.ok());
}

}  // namespace power_test
