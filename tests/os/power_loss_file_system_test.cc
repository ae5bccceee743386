// The power-loss file system (tests/support) is what every durability claim
// of the crash matrix rests on: each rule of its model, checked on its own.
#include "power_loss_file_system.h"

#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "test_support.h"

using certvault_test::CutWhen;
using certvault_test::PowerCut;
using certvault_test::PowerLossFileSystem;
namespace os = certvault::os;

namespace {

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// Writes `text` to a new file through the current file system, synced when asked.
void create(const std::filesystem::path& path, const std::string& text, bool sync) {
  os::File file(path, os::OpenFor::kCreateNew, "test");
  file.write_all(bytes_of(text));
  if (sync) file.sync();
}

using State = std::map<std::string, std::vector<uint8_t>>;

// Cuts the power, rewrites the disk and returns what is on it.
State after_power_cut(PowerLossFileSystem& files, const std::filesystem::path& root,
                      certvault_test::UnsyncedWrites unsynced = certvault_test::UnsyncedWrites::kLost) {
  files.restore_durable_state(unsynced);
  State state;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const auto name = std::filesystem::relative(entry.path(), root).generic_string();
    if (entry.is_directory()) {
      state[name + "/"] = {};
    } else {
      state[name] = certvault_test::read_bytes(entry.path());
    }
  }
  return state;
}

}  // namespace

TEST_CASE("power-loss file system: what was there at the start survives, unsynced creates and writes do not") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  certvault_test::write_bytes(root / "old", bytes_of("old"));
  PowerLossFileSystem files(root);
  {
    os::ScopedFileSystem scope(files);
    create(root / "never-synced", "lost", false);
    create(root / "synced-no-name", "lost too", true);
  }
  CHECK(files.untracked_changes().empty());
  CHECK(after_power_cut(files, root) == State{{"old", bytes_of("old")}});
}

TEST_CASE("power-loss file system: a file needs its own sync for its bytes and its folder's sync for its name") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  PowerLossFileSystem files(root);
  {
    os::ScopedFileSystem scope(files);
    create(root / "named-only", "bytes never synced", false);
    create(root / "durable", "kept", true);
    os::sync_folder(root, "test");
  }
  CHECK(files.durable_state() == State{{"durable", bytes_of("kept")}, {"named-only", {}}});
  CHECK(after_power_cut(files, root) == State{{"durable", bytes_of("kept")}, {"named-only", {}}});
}

TEST_CASE("power-loss file system: an overwrite in place keeps the last synced content") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  certvault_test::write_bytes(root / "db", bytes_of("AAAAAAAA"));
  PowerLossFileSystem files(root);
  {
    os::ScopedFileSystem scope(files);
    auto file = os::file_system().open(root / "db", os::OpenFor::kReadWrite, "test");
    file->write_at(2, bytes_of("BB"));
    file->sync();
    file->write_at(4, bytes_of("CCCC"));
    file->truncate(6);  // neither is synced
  }
  CHECK(certvault_test::read_bytes(root / "db") == bytes_of("AABBCC"));
  CHECK(after_power_cut(files, root) == State{{"db", bytes_of("AABBAAAA")}});
}

TEST_CASE("power-loss file system: a rename moves the inode, durably only once its folder is synced") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  certvault_test::write_bytes(root / "object", bytes_of("old"));
  SECTION("not synced: the old name and the old object are back") {
    PowerLossFileSystem files(root);
    {
      os::ScopedFileSystem scope(files);
      create(root / ".tmp-object", "new", true);
      os::sync_folder(root, "test");
      os::replace_file(root / ".tmp-object", root / "object", "test");
    }
    CHECK(after_power_cut(files, root) == State{{".tmp-object", bytes_of("new")}, {"object", bytes_of("old")}});
  }
  SECTION("synced: the new object under the new name, nothing else") {
    PowerLossFileSystem files(root);
    {
      os::ScopedFileSystem scope(files);
      create(root / ".tmp-object", "new", true);
      os::replace_file(root / ".tmp-object", root / "object", "test");
      os::sync_folder(root, "test");
    }
    CHECK(after_power_cut(files, root) == State{{"object", bytes_of("new")}});
  }
  SECTION("the content comes with the inode: bytes synced after the rename count too") {
    PowerLossFileSystem files(root);
    {
      os::ScopedFileSystem scope(files);
      os::File file(root / ".tmp-object", os::OpenFor::kCreateNew, "test");
      file.write_all(bytes_of("renamed while open"));
      os::replace_file(root / ".tmp-object", root / "object", "test");
      os::sync_folder(root, "test");
      file.sync();
    }
    CHECK(after_power_cut(files, root) == State{{"object", bytes_of("renamed while open")}});
  }
}

TEST_CASE("power-loss file system: a remove not made durable is undone") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  certvault_test::write_bytes(root / "a", bytes_of("a"));
  certvault_test::write_bytes(root / "sub" / "b", bytes_of("b"));
  PowerLossFileSystem files(root);
  {
    os::ScopedFileSystem scope(files);
    os::remove_file(root / "a", "test");
    os::remove_file(root / "sub" / "b", "test");
    os::sync_folder(root / "sub", "test");
  }
  CHECK(after_power_cut(files, root) == State{{"a", bytes_of("a")}, {"sub/", {}}});
}

TEST_CASE("power-loss file system: a new folder and all below it need the parent's sync") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  SECTION("parent not synced") {
    PowerLossFileSystem files(root);
    {
      os::ScopedFileSystem scope(files);
      os::create_folder(root / "d", "test");
      create(root / "d" / "f", "f", true);
      os::sync_folder(root / "d", "test");
    }
    CHECK(after_power_cut(files, root).empty());
  }
  SECTION("a staged folder renamed into place, then its parent synced: all of it, under the new name") {
    PowerLossFileSystem files(root);
    {
      os::ScopedFileSystem scope(files);
      os::create_folders(root / ".staged" / "inner", "test");
      create(root / ".staged" / "inner" / "f", "f", true);
      os::sync_folder(root / ".staged" / "inner", "test");
      os::sync_folder(root / ".staged", "test");
      os::replace_file(root / ".staged", root / "target", "test");
      os::sync_folder(root, "test");
    }
    CHECK(after_power_cut(files, root) ==
          State{{"target/", {}}, {"target/inner/", {}}, {"target/inner/f", bytes_of("f")}});
  }
}

TEST_CASE(
    "power-loss file system: the cut comes before or just after the chosen sync point, then nothing reaches the disk") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  for (const auto when : {CutWhen::kBefore, CutWhen::kAfter}) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    PowerLossFileSystem files(root);
    files.cut_at(2, when);
    {
      os::ScopedFileSystem scope(files);
      create(root / "one", "1", true);  // point 1: sync
      os::File two(root / "two", os::OpenFor::kCreateNew, "test");
      two.write_all(bytes_of("2"));
      CHECK_THROWS_AS(two.sync(), PowerCut);  // point 2
      CHECK(files.power_is_off());
      CHECK_THROWS_WITH(two.write_all(bytes_of("more")), Catch::Contains("power is off"));
      CHECK_THROWS_WITH(os::sync_folder(root, "test"), Catch::Contains("power is off"));
      CHECK_THROWS_AS(os::File(root / "three", os::OpenFor::kCreateNew, "test"), certvault::Error);
      CHECK(files.sync_points() == 2);
    }
    CHECK_FALSE(std::filesystem::exists(root / "three"));
    CHECK(certvault_test::read_bytes(root / "two") == bytes_of("2"));  // a killed process would leave this
    CHECK(files.sync_point_log().size() == 2);
    CHECK_THAT(files.sync_point_log()[1], Catch::StartsWith("sync ") && Catch::EndsWith("two"));
    // Either way neither name was made durable.
    CHECK(after_power_cut(files, root).empty());
  }
}

TEST_CASE(
    "power-loss file system: renames count as sync points, and a cut just after one keeps its effect in the process") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  certvault_test::write_bytes(root / "a", bytes_of("a"));
  PowerLossFileSystem files(root);
  files.cut_at(1, CutWhen::kAfter);
  {
    os::ScopedFileSystem scope(files);
    CHECK_THROWS_AS(os::replace_file(root / "a", root / "b", "test"), PowerCut);
  }
  CHECK(std::filesystem::exists(root / "b"));
  CHECK(after_power_cut(files, root) == State{{"a", bytes_of("a")}});
}

TEST_CASE("power-loss file system: changes that bypass it are reported at the next folder sync") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  certvault_test::write_bytes(root / "gone", bytes_of("x"));
  PowerLossFileSystem files(root);
  certvault_test::write_bytes(root / "sneaked-in", bytes_of("y"));
  std::filesystem::remove(root / "gone");
  {
    os::ScopedFileSystem scope(files);
    os::sync_folder(root, "test");
  }
  const auto untracked = files.untracked_changes();
  REQUIRE(untracked.size() == 2);
  CHECK_THAT(untracked[0], Catch::Contains("gone") && Catch::Contains("vanished"));
  CHECK_THAT(untracked[1], Catch::Contains("sneaked-in") && Catch::Contains("appeared"));
}

TEST_CASE(
    "power-loss file system: unsynced writes may reach the disk, none, the earlier half or all; names still follow the "
    "folder syncs") {
  certvault_test::TempFolder temp("power-loss");
  const auto root = temp.path();
  using certvault_test::UnsyncedWrites;
  const std::map<UnsyncedWrites, std::string> database_after = {{UnsyncedWrites::kLost, "AAAA"},
                                                                {UnsyncedWrites::kEarlierHalfReachedDisk, "BBAA"},
                                                                {UnsyncedWrites::kAllReachedDisk, "BBC"}};
  for (const auto& [unsynced, database] : database_after) {
    std::filesystem::remove_all(root);
    certvault_test::write_bytes(root / "db", bytes_of("AAAA"));
    PowerLossFileSystem files(root);
    {
      os::ScopedFileSystem scope(files);
      auto db = os::file_system().open(root / "db", os::OpenFor::kReadWrite, "test");
      db->write_at(0, bytes_of("BB"));  // never synced, like the three below
      db->write_at(2, bytes_of("CC"));
      db->truncate(3);
      create(root / ".tmp-x", "written", false);
      os::sync_folder(root, "test");
      os::replace_file(root / ".tmp-x", root / "x", "test");  // not synced: the old name stays
      create(root / "journal", "never named", true);          // its name never made durable
    }
    const auto x = unsynced == UnsyncedWrites::kLost ? std::vector<uint8_t>{} : bytes_of("written");
    CHECK(after_power_cut(files, root, unsynced) == State{{".tmp-x", x}, {"db", bytes_of(database)}});
  }
}
