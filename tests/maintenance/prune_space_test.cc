// Issue 14: prune on a nearly full disk. Packs no kept snapshot uses go first, repacking takes at
// most one new pack's space at a time (plus the catalog's journal), and when the free space does
// not suffice prune stops before writing, loses nothing and says how many bytes it needs and
// where. The disk is simulated through the file-system seam (FaultInjectingFileSystem's space
// limit: free_space() reports it and a write beyond it fails as a full disk would).
#include <catch2/catch.hpp>
#include <optional>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"
#include "fault_injecting_file_system.h"
#include "maintenance_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {
// The decimal number between `before` and `after` in `text`. No std::regex: GCC 12 at -O3 with
// Debian's flags warns falsely (maybe-uninitialized) inside <regex>, which CI treats as an error.
std::optional<uint64_t> number_between(const std::string& text, const std::string& before, const std::string& after) {
  for (auto at = text.find(before); at != std::string::npos; at = text.find(before, at + 1)) {
    const auto digits_begin = at + before.size();
    auto digits_end = digits_begin;
    while (digits_end < text.size() && text[digits_end] >= '0' && text[digits_end] <= '9') ++digits_end;
    if (digits_end > digits_begin && text.compare(digits_end, after.size(), after) == 0)
      return std::stoull(text.substr(digits_begin, digits_end - digits_begin));
  }
  return std::nullopt;
}

using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

struct Scenario {
  std::string kept_id;
  Files kept;
};

// 1 MiB packs. The first snapshot interleaves files the second keeps with files only it has, so
// forgetting it leaves packs mostly unused (to repack); with `dead_packs`, a 2.5 MiB file only it
// has fills whole packs (to delete).
Scenario build(const MaintenanceRepo& repo, bool dead_packs) {
  const auto source = repo.scratch("source");
  const auto keep1 = random_bytes(300u << 10, 1), keep2 = random_bytes(300u << 10, 2);
  Files first = {{"a-keep1.bin", keep1},
                 {"b-drop1.bin", random_bytes(700u << 10, 3)},
                 {"c-keep2.bin", keep2},
                 {"d-drop2.bin", random_bytes(700u << 10, 4)}};
  if (dead_packs) first.push_back({"e-drop3.bin", random_bytes(2500u << 10, 5)});
  set_folder(source, first);
  const auto s1 = repo.back_up(source);
  Scenario scenario;
  scenario.kept = {{"a-keep1.bin", keep1}, {"c-keep2.bin", keep2}, {"f-new.bin", random_bytes(200u << 10, 6)}};
  set_folder(source, scenario.kept);
  scenario.kept_id = repo.back_up(source);
  repo.forget({s1});
  return scenario;
}

bool ran_out_of_space(const FaultInjectingFileSystem& disk) {
  for (const auto& line : disk.injected()) {
    if (line.find("no space") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("prune on a nearly full disk deletes unused packs first, then repacks in the space they freed") {
  MaintenanceRepo repo;
  const auto scenario = build(repo, true);
  const uint64_t packs_before = repo.bytes_under("packs");
  FaultInjectingFileSystem disk;
  PruneReport report;
  {
    const os::ScopedFileSystem scope(disk);
    // Far less than one new pack: only the deleted packs make room for the repack.
    disk.limit_space(150u << 10);
    report = repo.prune();
  }
  CHECK_FALSE(ran_out_of_space(disk));
  CHECK(report.packs_deleted >= 2);
  CHECK(report.packs_repacked >= 2);
  CHECK(repo.bytes_under("packs") < packs_before / 2);
  const auto check = repo.check(true);
  INFO(joined(check.problems) << joined(check.warnings));
  CHECK(check.ok());
  CHECK(repo.exported(scenario.kept_id) == scenario.kept);
}

TEST_CASE("prune without the space to repack stops before writing, loses nothing and names the bytes it needs") {
  MaintenanceRepo repo;
  const auto scenario = build(repo, false);
  const auto packs_before = repo.pack_files();
  std::string message;
  {
    FaultInjectingFileSystem disk;
    const os::ScopedFileSystem scope(disk);
    disk.limit_space(100u << 10);
    try {
      repo.prune();
      FAIL("prune repacked with 100 KiB free");
    } catch (const Error& e) {
      message = e.what();
      CHECK(e.kind() == ErrorKind::kFailure);
    }
    CHECK_FALSE(ran_out_of_space(disk));  // it stopped before a write could fail
  }
  INFO(message);
  CHECK(message.find("prune stopped for lack of space") != std::string::npos);
  CHECK(message.find(os::display(repo.repo_path() / "packs")) != std::string::npos);
  const auto needed_bytes = number_between(message, "needs ", " bytes free in");
  REQUIRE(needed_bytes.has_value());
  const uint64_t needed = *needed_bytes;
  CHECK(needed > (300u << 10));  // at least the live chunks of the pack it would repack
  const auto free_bytes = number_between(message, "only ", " bytes are free");
  REQUIRE(free_bytes.has_value());
  CHECK(*free_bytes >= (90u << 10));  // the simulated disk's 100 KiB, give or take the lock record
  CHECK(*free_bytes < needed);

  // Nothing lost: every pack is still there, the repository checks clean, the kept snapshot exports.
  CHECK(repo.pack_files() == packs_before);
  const auto check = repo.check(true);
  INFO(joined(check.problems) << joined(check.warnings));
  CHECK(check.ok());
  CHECK(repo.exported(scenario.kept_id) == scenario.kept);

  // With the space it asked for (and a page for the lock record opening the repository writes),
  // prune completes without the disk running out.
  FaultInjectingFileSystem roomier;
  PruneReport report;
  {
    const os::ScopedFileSystem scope(roomier);
    roomier.limit_space(needed + 4096);
    report = repo.prune();
  }
  CHECK_FALSE(ran_out_of_space(roomier));
  CHECK(report.packs_repacked >= 2);
  CHECK(repo.check(true).ok());
  CHECK(repo.exported(scenario.kept_id) == scenario.kept);
}

TEST_CASE("repacking writes one new pack at a time: the free space it uses never exceeds one pack and the journal") {
  MaintenanceRepo repo;
  const auto source = repo.scratch("source");
  // Eight half-used 1 MiB packs: repacked together they would fill four new packs.
  Files first, kept;
  for (int i = 0; i < 8; ++i) {
    const auto keep = random_bytes(500u << 10, 100 + i);
    first.push_back({"f" + std::to_string(i) + "-keep.bin", keep});
    first.push_back({"f" + std::to_string(i) + "-drop.bin", random_bytes(500u << 10, 200 + i)});
    kept.push_back({"f" + std::to_string(i) + "-keep.bin", keep});
  }
  set_folder(source, first);
  const auto s1 = repo.back_up(source);
  set_folder(source, kept);
  const auto s2 = repo.back_up(source);
  repo.forget({s1});
  FaultInjectingFileSystem disk;
  PruneReport report;
  {
    const os::ScopedFileSystem scope(disk);
    // Room for one new pack (1 MiB target, live chunks of at most two old packs) and the journal.
    disk.limit_space((1u << 20) + (600u << 10));
    report = repo.prune();
  }
  CHECK_FALSE(ran_out_of_space(disk));
  CHECK(report.packs_repacked == 8);
  CHECK(report.packs_written >= 4);
  CHECK(repo.check(true).ok());
  CHECK(repo.exported(s2) == kept);
}
