// The catalog's SQLite VFS over the file-system seam: its files are faulted
// and power-cut like every other, its commits are durable when they return,
// its locks keep two connections apart, and WAL catalogs of earlier builds
// still open.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "catalog_test_support.h"
#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "fault_injecting_file_system.h"
#include "power_loss_file_system.h"
#include "sqlite_vfs.h"
#include "test_support.h"

using namespace catalog_test;
namespace os = certvault::os;
using certvault_test::CutWhen;
using certvault_test::PowerLossFileSystem;
using certvault_test::UnsyncedWrites;

namespace {

// A raw connection through the catalog's VFS, without a busy timeout.
class Connection {
 public:
  explicit Connection(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, certvault::catalog::seam_vfs_name()) ==
            SQLITE_OK);
  }
  ~Connection() { sqlite3_close(db_); }
  int exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

std::vector<uint8_t> header_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> header(100);
  in.read(reinterpret_cast<char*>(header.data()), 100);
  return header;
}

}  // namespace

TEST_CASE("catalog VFS: a failing sync of the catalog is an error naming the file, and the last commit survives") {
  certvault_test::TempFolder folder("catalog-vfs");
  const auto path = folder / "catalog.db";
  Catalog::open(path)->commit_snapshot(make_commit(1, 100, "ca"));
  certvault_test::FaultInjectingFileSystem files;
  files.add({certvault_test::FaultKind::kIoError, 1, {certvault_test::Call::kSync}, "catalog.db"});
  {
    os::ScopedFileSystem scope(files);
    auto catalog = Catalog::open(path);
    try {
      catalog->commit_snapshot(make_commit(2, 200, "ca"));
      FAIL("the commit succeeded despite a failing fsync");
    } catch (const CatalogError& error) {
      CHECK(error.kind() == certvault::ErrorKind::kFailure);
      CHECK_THAT(error.what(), Catch::Contains("commit") && Catch::Contains("fsync") &&
                                   Catch::Contains(path.string()) && Catch::Contains("Input/output error"));
    }
  }
  CHECK(files.injected().size() == 1);
  auto catalog = Catalog::open(path);
  CHECK(catalog->snapshots().size() == 1);
  CHECK(catalog->integrity_check() == std::vector<std::string>{"ok"});
}

TEST_CASE("catalog VFS: power cut at every sync point of a commit: all of it or nothing, and all once it returned") {
  certvault_test::TempFolder folder("catalog-vfs");
  const auto pristine = folder / "pristine";
  std::filesystem::create_directories(pristine);
  Catalog::open(pristine / "catalog.db")->commit_snapshot(make_commit(1, 100, "ca"));
  // The commit creates its journal: its name must become durable before the database is written over.
  std::filesystem::remove(pristine / "catalog.db-journal");

  // The sync points of one commit (journal, its folder, database, journal truncated).
  uint64_t points = 0;
  {
    const auto work = folder / "count";
    std::filesystem::copy(pristine, work);
    PowerLossFileSystem files(work);
    os::ScopedFileSystem scope(files);
    auto catalog = Catalog::open(work / "catalog.db");
    const uint64_t before = files.sync_points();
    catalog->commit_snapshot(make_commit(2, 200, "ca"));
    points = files.sync_points() - before;
    INFO("sync points: " << Catch::Detail::stringify(files.sync_point_log()));
    CHECK(files.untracked_changes().empty());
  }
  REQUIRE(points >= 3);

  int run = 0;
  for (uint64_t point = 1; point <= points + 1; ++point) {
    for (const auto when : {CutWhen::kBefore, CutWhen::kAfter}) {
      for (const auto unsynced :
           {UnsyncedWrites::kLost, UnsyncedWrites::kEarlierHalfReachedDisk, UnsyncedWrites::kAllReachedDisk}) {
        const auto work = folder / ("cut-" + std::to_string(++run));
        std::filesystem::copy(pristine, work);
        bool returned = false;
        {
          PowerLossFileSystem files(work);
          {
            os::ScopedFileSystem scope(files);
            auto catalog = Catalog::open(work / "catalog.db");
            files.cut_at(files.sync_points() + point, when);
            try {
              catalog->commit_snapshot(make_commit(2, 200, "ca"));
              returned = true;
            } catch (const certvault::Error&) {  // CatalogError included: the process saw its disk die
            }
          }
          files.restore_durable_state(unsynced);
        }
        INFO("cut " << (when == CutWhen::kBefore ? "before" : "after") << " sync point " << point << " of " << points
                    << ", unsynced writes reaching the disk: " << static_cast<int>(unsynced));
        auto catalog = Catalog::open(work / "catalog.db");
        CHECK(catalog->integrity_check() == std::vector<std::string>{"ok"});
        // Exactly the state before the commit or exactly the one after: every row of it or none.
        const size_t snapshots = catalog->snapshots().size();
        const bool new_rows[] = {catalog->has_chunk(make_id(2, 10)), catalog->has_chunk(make_id(2, 11)),
                                 catalog->has_recipe(make_recipe(2).id), catalog->files(snapshot_id(2)).size() == 2};
        CHECK((snapshots == 1 || snapshots == 2));
        for (const bool present : new_rows) CHECK(present == (snapshots == 2));
        if (returned) CHECK(snapshots == 2);
        if (point == points && when == CutWhen::kAfter) CHECK(snapshots == 2);  // the last sync commits
      }
    }
  }
}

TEST_CASE("catalog VFS: locks keep a writer and a reader apart, in one process as in two") {
  certvault_test::TempFolder folder("catalog-vfs");
  const auto path = folder / "catalog.db";
  Catalog::open(path)->set_setting("k", "v");
  Connection writer(path), reader(path), other_writer(path);
  REQUIRE(writer.exec("BEGIN IMMEDIATE") == SQLITE_OK);  // RESERVED
  CHECK(other_writer.exec("BEGIN IMMEDIATE") == SQLITE_BUSY);
  REQUIRE(writer.exec("INSERT INTO settings(key, value) VALUES ('new', 'x')") == SQLITE_OK);
  // A reader still reads (SHARED beside RESERVED) and keeps the writer from committing.
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(reader.db(), "SELECT count(*) FROM settings", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  CHECK(sqlite3_column_int(statement, 0) == 1);  // the uncommitted row is invisible
  CHECK(writer.exec("COMMIT") == SQLITE_BUSY);
  // The writer now waits at PENDING: no new reader gets in.
  CHECK(other_writer.exec("SELECT count(*) FROM settings") == SQLITE_BUSY);
  sqlite3_finalize(statement);
  CHECK(writer.exec("COMMIT") == SQLITE_OK);
  REQUIRE(sqlite3_prepare_v2(reader.db(), "SELECT count(*) FROM settings", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  CHECK(sqlite3_column_int(statement, 0) == 2);
  sqlite3_finalize(statement);
}

TEST_CASE(
    "catalog VFS: a WAL catalog of an earlier build opens with every commit, the WAL's too, and leaves WAL mode") {
  certvault_test::TempFolder folder("catalog-vfs");
  const auto written = folder / "written";
  const auto copied = folder / "copied";
  std::filesystem::create_directories(written);
  std::filesystem::create_directories(copied);
  {
    auto catalog = Catalog::open(written / "catalog.db");
    catalog->commit_snapshot(make_commit(1, 100, "ca"));
  }
  // What an earlier build left: WAL mode, the last commit still in the WAL
  // (copied while the writer is open, as a crash would leave it).
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((written / "catalog.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "INSERT INTO settings(key, value) VALUES ('in-the-wal', 'yes')", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::copy_file(written / (std::string("catalog.db") + suffix),
                               copied / (std::string("catalog.db") + suffix));
  }
  sqlite3_close(db);
  REQUIRE(header_of(copied / "catalog.db")[18] == 2);
  REQUIRE(std::filesystem::file_size(copied / "catalog.db-wal") > 0);

  {
    auto catalog = Catalog::open(copied / "catalog.db");
    CHECK(catalog->setting("in-the-wal") == std::optional<std::string>("yes"));
    CHECK(catalog->snapshots().size() == 1);
    catalog->commit_snapshot(make_commit(2, 200, "ca"));
  }
  CHECK(header_of(copied / "catalog.db")[18] == 1);  // a rollback-journal database now
  CHECK_FALSE(std::filesystem::exists(copied / "catalog.db-wal"));
  // Another connection at the same time works: no exclusive lock was kept.
  auto first = Catalog::open(copied / "catalog.db");
  auto second = Catalog::open(copied / "catalog.db");
  CHECK(first->snapshots().size() == 2);
  CHECK(second->setting("in-the-wal") == std::optional<std::string>("yes"));
}
