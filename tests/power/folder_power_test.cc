// Crash matrix of the operations on folder snapshots: a folder backup, forget,
// prune, repair catalog and export, each with the power cut at every sync
// point and just after each.
#include <catch2/catch.hpp>
#include <set>

#include "certvault/base/error.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/prune.h"
#include "certvault/repository/repair.h"
#include "certvault/repository/snapshot_forget.h"
#include "power_matrix.h"

using namespace certvault;
using namespace power_test;
using certvault_test::random_bytes;

namespace {

// A folder's files, sorted by path as certvault_test::folder_contents() returns them.
Files sorted(Files files) {
  std::sort(files.begin(), files.end());
  return files;
}

Files version(uint64_t seed) {
  return sorted({{"keep.bin", random_bytes(200u << 10, 1)},
                 {"logs/edb00001.log", random_bytes(300u << 10, seed + 10)},
                 {"db.edb", random_bytes(600u << 10, seed)}});
}

void set_folder(const fs::path& folder, const Files& files) {
  fs::remove_all(folder);
  for (const auto& [name, bytes] : files) certvault_test::write_bytes(folder / name, bytes);
}

// A repository under `pristine()/repo` (1 MiB packs) and a source folder beside it.
class FolderStart {
 public:
  FolderStart() {
    InitOptions options;
    options.pack_target_bytes = 1u << 20;
    Repository::init(repo(pristine()), options);
  }
  fs::path scratch() const { return temp_.path(); }
  fs::path pristine() const { return temp_.path() / "pristine"; }
  fs::path source() const { return temp_.path() / "source"; }
  static fs::path repo(const fs::path& work) { return work / "repo"; }

  std::string back_up(const Files& files) {
    set_folder(source(), files);
    auto repository = Repository::open(repo(pristine()), LockMode::kExclusive);
    const auto id = back_up_folder(*repository, {source(), {}, {}}).snapshot_id;
    snapshots_.emplace_back(id, sorted(files));
    return id;
  }
  void prepare(const fs::path& work) const {
    fs::create_directories(work);
    fs::copy(pristine(), work, fs::copy_options::recursive);
  }
  Files exported(const fs::path& work, const std::string& id) const {
    return power_test::exported(repo(work), id, work.parent_path());
  }
  const std::vector<std::pair<std::string, Files>>& snapshots() const { return snapshots_; }
  // The snapshot ids in the catalog, sorted (snapshots taken within a second have no order).
  std::set<std::string> catalog_ids(const fs::path& work) const {
    std::set<std::string> ids;
    for (const auto& snapshot : reopen(repo(work))->catalog().snapshots()) ids.insert(snapshot.id);
    return ids;
  }
  // Every snapshot in the catalog is one of the expected ones and exports byte for byte.
  void require_snapshots_intact(const fs::path& work) const {
    for (const auto& id : catalog_ids(work)) {
      const auto expected = std::find_if(snapshots_.begin(), snapshots_.end(), [&](auto& s) { return s.first == id; });
      REQUIRE(expected != snapshots_.end());
      CHECK(exported(work, id) == expected->second);
    }
  }

 private:
  certvault_test::TempFolder temp_{"power-folder"};
  std::vector<std::pair<std::string, Files>> snapshots_;
};

// Two snapshots, and a truncation record only the catalog holds (builds before truncation objects),
// for repair catalog to carry over.
struct CatalogToRepair {
  FolderStart start;
  std::string s1, s2;
  CatalogToRepair() : s1(start.back_up(version(1))), s2(start.back_up(version(2))) {
    auto repository = Repository::open(FolderStart::repo(start.pristine()), LockMode::kExclusive);
    repository->catalog().record_truncation({s2, 1234, 0, "logs truncated", "truncated"});
  }
  // Both snapshots in the catalog, intact, and check clean.
  void require_whole(const fs::path& work) const {
    require_check_clean(FolderStart::repo(work));
    CHECK(start.catalog_ids(work) == std::set<std::string>{s1, s2});
    start.require_snapshots_intact(work);
  }
  size_t truncations(const fs::path& work) const {
    return reopen(FolderStart::repo(work))->catalog().truncations(s2).size();
  }
};

// Two snapshots and an export of the first at `export`, which exporting the second replaces.
struct ExportToReplace {
  FolderStart start;
  std::string s1, s2;
  ExportToReplace() : s1(start.back_up(version(1))), s2(start.back_up(version(2))) {
    auto repository = Repository::open(FolderStart::repo(start.pristine()), LockMode::kShared);
    export_snapshot(*repository, s1, {start.pristine() / "export", false});
  }
  void replace(const fs::path& work) const {
    auto repository = Repository::open(FolderStart::repo(work), LockMode::kShared);
    export_snapshot(*repository, s2, {work / "export", true});
  }
  // The earlier export or the new one, whole (the new one once the export returned); never a mix,
  // never nothing. Returns what is there.
  Files require_earlier_or_new(const fs::path& work, bool returned) const {
    require_check_clean(FolderStart::repo(work));
    const auto found = certvault_test::folder_contents(work / "export");
    CHECK((found == start.snapshots()[0].second || found == start.snapshots()[1].second));
    if (returned) CHECK(found == start.snapshots()[1].second);
    return found;
  }
};

}  // namespace

TEST_CASE("power: folder backup, cut at each sync point and just after") {
  FolderStart start;
  const auto first = start.back_up(version(1));
  const Files second = version(2);
  set_folder(start.source(), second);
  const uint64_t points = cut_at_every_sync_point(
      start.scratch(), [&](const fs::path& work) { start.prepare(work); },
      [&](const fs::path& work) {
        auto repository = Repository::open(FolderStart::repo(work), LockMode::kExclusive);
        back_up_folder(*repository, {start.source(), {}, {}});
      },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        require_check_clean(FolderStart::repo(work));
        auto ids = start.catalog_ids(work);
        REQUIRE(ids.erase(first) == 1);
        CHECK(start.exported(work, first) == start.snapshots()[0].second);
        REQUIRE(ids.size() <= 1);
        if (!ids.empty()) CHECK(start.exported(work, *ids.begin()) == second);  // wholly there, or absent
        if (cut.returned) CHECK(ids.size() == 1);
      });
  WARN("folder backup: " << points << " sync points");
  CHECK(points > 10);
}

TEST_CASE("power: forget, cut at each sync point and just after") {
  FolderStart start;
  const auto s1 = start.back_up(version(1));
  const auto s2 = start.back_up(version(2));
  const auto s3 = start.back_up(version(3));
  const uint64_t points = cut_at_every_sync_point(
      start.scratch(), [&](const fs::path& work) { start.prepare(work); },
      [&](const fs::path& work) {
        auto repository = Repository::open(FolderStart::repo(work), LockMode::kExclusive);
        forget_snapshots(*repository, {s2});
      },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        require_check_clean(FolderStart::repo(work));
        const auto ids = start.catalog_ids(work);
        CHECK(ids.contains(s1));
        CHECK(ids.contains(s3));
        if (cut.returned) CHECK_FALSE(ids.contains(s2));
        start.require_snapshots_intact(work);  // s2 too while it is there
      });
  WARN("forget: " << points << " sync points");
  CHECK(points > 3);
}

TEST_CASE("power: prune, cut at each sync point and just after, then a rerun completes") {
  // Work for every part of prune: packs only a forgotten snapshot used (deleted),
  // a half-used pack (repacked), and a pack the catalog does not know (an orphan).
  FolderStart start;
  const auto keep = random_bytes(100u << 10, 31);
  const auto s1 = start.back_up(
      {{"keep.bin", keep}, {"drop.bin", random_bytes(100u << 10, 32)}, {"old.bin", random_bytes(1100u << 10, 34)}});
  const auto s2 = start.back_up({{"big.bin", random_bytes(200u << 10, 33)}, {"keep.bin", keep}});
  {
    auto repository = Repository::open(FolderStart::repo(start.pristine()), LockMode::kExclusive);
    forget_snapshots(*repository, {s1});
  }
  {
    const auto packs = FolderStart::repo(start.pristine()) / "packs";
    fs::path pack;
    for (const auto& entry : fs::recursive_directory_iterator(packs)) {
      if (entry.is_regular_file()) pack = entry.path();
    }
    const auto orphan = packs / "ff" / (std::string(32, 'f') + ".pack");
    fs::create_directories(orphan.parent_path());
    // Private, as certvault makes what it creates: check's permission warnings are not this test's.
    fs::permissions(orphan.parent_path(), fs::perms::owner_all);
    fs::copy_file(pack, orphan);
  }
  {
    // Prune has each kind of work to do here.
    const auto twin = start.scratch() / "twin";
    start.prepare(twin);
    auto repository = Repository::open(FolderStart::repo(twin), LockMode::kExclusive);
    const auto report = prune_repository(*repository, {});
    REQUIRE(report.packs_deleted >= 1);
    REQUIRE(report.packs_repacked == 1);
    REQUIRE(report.orphan_packs_removed == 1);
  }
  const uint64_t points = cut_at_every_sync_point(
      start.scratch(), [&](const fs::path& work) { start.prepare(work); },
      [&](const fs::path& work) {
        auto repository = Repository::open(FolderStart::repo(work), LockMode::kExclusive);
        prune_repository(*repository, {});
      },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        require_check_clean(FolderStart::repo(work));
        CHECK(start.catalog_ids(work) == std::set<std::string>{s2});
        start.require_snapshots_intact(work);
        {
          auto repository = reopen(FolderStart::repo(work), LockMode::kExclusive);
          prune_repository(*repository, {});
        }
        auto repository = reopen(FolderStart::repo(work));
        const auto after_rerun = check_repository(*repository, {true, 0, {}});
        INFO("after a rerun: " << Catch::Detail::stringify(after_rerun.problems)
                               << Catch::Detail::stringify(after_rerun.warnings));
        CHECK(after_rerun.ok());
        CHECK(after_rerun.warnings.empty());
      });
  WARN("prune: " << points << " sync points");
  CHECK(points > 10);
}

TEST_CASE("power: repair catalog, cut at each sync point and just after") {
  const CatalogToRepair repair;
  const uint64_t points = cut_at_every_sync_point(
      repair.start.scratch(), [&](const fs::path& work) { repair.start.prepare(work); },
      [&](const fs::path& work) { repair_catalog(FolderStart::repo(work)); },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        repair.require_whole(work);
        // The records only the catalog holds survive, in the old catalog or the rebuilt one.
        CHECK(repair.truncations(work) == 1);
      });
  WARN("repair catalog: " << points << " sync points");
  CHECK(points > 3);
}

TEST_CASE("power: export to a folder replacing an earlier export, cut at each sync point and just after") {
  const ExportToReplace exporting;
  const uint64_t points = cut_at_every_sync_point(
      exporting.start.scratch(), [&](const fs::path& work) { exporting.start.prepare(work); },
      [&](const fs::path& work) { exporting.replace(work); },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        exporting.require_earlier_or_new(work, cut.returned);
      });
  WARN("export to a folder: " << points << " sync points");
  CHECK(points > 3);
}

TEST_CASE("power: export to a tar file, cut at each sync point and just after") {
  FolderStart start;
  const auto s1 = start.back_up(version(1));
  const auto reference = start.scratch() / "reference.tar";
  {
    auto repository = Repository::open(FolderStart::repo(start.pristine()), LockMode::kShared);
    export_snapshot(*repository, s1, {}, reference.string());
  }
  const auto expected = certvault_test::read_bytes(reference);
  const uint64_t points = cut_at_every_sync_point(
      start.scratch(), [&](const fs::path& work) { start.prepare(work); },
      [&](const fs::path& work) {
        auto repository = Repository::open(FolderStart::repo(work), LockMode::kShared);
        export_snapshot(*repository, s1, {}, (work / "export.tar").string());
      },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        require_check_clean(FolderStart::repo(work));
        // No tar, or the whole tar.
        if (fs::exists(work / "export.tar")) CHECK(certvault_test::read_bytes(work / "export.tar") == expected);
        if (cut.returned) CHECK(fs::exists(work / "export.tar"));
      });
  WARN("export to a tar file: " << points << " sync points");
  CHECK(points >= 2);
}

// The same operations with an I/O error at each file-system call in turn: the process lives on and runs
// its own error paths (cleanup, rollback), which a power cut never does.

TEST_CASE("I/O error at each call: forget leaves every snapshot intact, and check clean") {
  FolderStart start;
  const auto s1 = start.back_up(version(1));
  const auto s2 = start.back_up(version(2));
  const uint64_t calls = fail_at_every_call(
      start.scratch(), [&](const fs::path& work) { start.prepare(work); },
      [&](const fs::path& work) {
        auto repository = Repository::open(FolderStart::repo(work), LockMode::kExclusive);
        forget_snapshots(*repository, {s1});
      },
      [&](const fs::path& work, const Failure& failure) {
        INFO(failure.describe());
        // A forget that failed between the catalog and the manifest leaves a warning for the next
        // one (snapshot_forget.h): check reports it, and nothing else.
        const auto report = check_repository(*reopen(FolderStart::repo(work)), {true, 0, {}});
        INFO("check problems: " << Catch::Detail::stringify(report.problems));
        CHECK(report.ok());
        const auto ids = start.catalog_ids(work);
        CHECK(ids.contains(s2));
        if (failure.returned) CHECK_FALSE(ids.contains(s1));
        start.require_snapshots_intact(work);
      });
  CHECK(calls > 10);
}

TEST_CASE("I/O error at each call: repair catalog keeps the old catalog or builds the whole new one") {
  const CatalogToRepair repair;
  RepairReport report;
  int unread = 0;  // runs where the old catalog could not be read
  const uint64_t calls = fail_at_every_call(
      repair.start.scratch(), [&](const fs::path& work) { repair.start.prepare(work); },
      [&](const fs::path& work) { report = repair_catalog(FolderStart::repo(work)); },
      [&](const fs::path& work, const Failure& failure) {
        INFO(failure.describe());
        // An object that fails to read for a reason other than damage stops the rebuild: a catalog
        // without it would hide its snapshot, or let prune delete its pack as a leftover.
        if (!failure.returned)
          CHECK_THAT(failure.error, Catch::Contains("nothing was changed") || !Catch::Contains("reading "));
        repair.require_whole(work);
        // The record only the old catalog holds is carried over, or, when the old catalog could not be
        // read, the report says so and where that catalog is kept.
        if (repair.truncations(work) == 1) return;
        REQUIRE(failure.returned);
        INFO(Catch::Detail::stringify(report.problems));
        REQUIRE(report.problems.size() == 1);
        CHECK_THAT(report.problems[0],
                   Catch::Contains("log-truncation records") &&
                       Catch::Contains("the old catalog is kept at " + report.old_catalog_moved_to));
        CHECK(catalog::Catalog::open(report.old_catalog_moved_to)->all_truncations().size() == 1);
        ++unread;
      });
  CHECK(unread > 0);
  CHECK(calls > 10);
}

TEST_CASE("I/O error at each call: an export replacing an earlier one leaves the earlier or the new one, whole") {
  const ExportToReplace exporting;
  const uint64_t calls = fail_at_every_call(
      exporting.start.scratch(), [&](const fs::path& work) { exporting.start.prepare(work); },
      [&](const fs::path& work) { exporting.replace(work); },
      [&](const fs::path& work, const Failure& failure) {
        INFO(failure.describe());
        const auto found = exporting.require_earlier_or_new(work, failure.returned);
        // No staging folder is left beside the target. The replaced export may be, when removing it
        // failed after the new one was in place: then the error says so and names it.
        for (const auto& entry : fs::directory_iterator(work)) {
          const auto name = entry.path().filename().string();
          if (name == "repo" || name == "export") continue;
          INFO(name);
          CHECK(name.starts_with(".export.certvault-old-"));
          CHECK(found == exporting.start.snapshots()[1].second);
          CHECK_THAT(failure.error, Catch::Contains("is complete and in place") && Catch::Contains(name));
        }
      });
  CHECK(calls > 10);
}
