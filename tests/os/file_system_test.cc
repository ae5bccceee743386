// file_system.h on this system's half (file_system_posix.cc here; the wine
// test drives file_system_win32.cc through certvault.exe): what the seam
// promises beyond os::File — folders, status, locks, the current file system.
#include "certvault/base/file_system.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "test_support.h"

using certvault::Error;
namespace os = certvault::os;

namespace {

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

std::set<std::string> names_in(const std::filesystem::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : os::file_system().list_folder(folder, "test")) names.insert(entry.name.string());
  return names;
}

}  // namespace

TEST_CASE("file system: list_folder and status tell files, folders and symlinks apart") {
  certvault_test::TempFolder temp("file-system");
  certvault_test::write_bytes(temp.path() / "file", bytes_of("12345"));
  std::filesystem::create_directory(temp.path() / "folder");
  std::filesystem::create_directory_symlink(temp.path() / "folder", temp.path() / "link");
  std::map<std::string, os::EntryType> types;
  for (const auto& entry : os::file_system().list_folder(temp.path(), "test")) types[entry.name.string()] = entry.type;
  CHECK(types == std::map<std::string, os::EntryType>{{"file", os::EntryType::kFile},
                                                      {"folder", os::EntryType::kFolder},
                                                      {"link", os::EntryType::kSymlink}});
  auto& files = os::file_system();
  CHECK(files.status(temp.path() / "file", true)->size == 5);
  CHECK(files.status(temp.path() / "link", true)->type == os::EntryType::kFolder);
  CHECK(files.status(temp.path() / "link", false)->type == os::EntryType::kSymlink);
  CHECK_FALSE(files.status(temp.path() / "missing", true));
  CHECK_FALSE(files.status(temp.path() / "file" / "below", true));
  CHECK_THROWS_WITH(files.list_folder(temp.path() / "missing", "list for the test"),
                    Catch::Contains("list for the test") && Catch::Contains("missing"));
}

TEST_CASE(
    "file system: create_folders makes the missing parents and says which, and remove_tree never follows a link") {
  certvault_test::TempFolder temp("file-system");
  const auto deep = temp.path() / "a" / "b" / "c";
  const auto created = os::create_folders(deep, "test");
  CHECK(created == std::vector<std::filesystem::path>{temp.path() / "a", temp.path() / "a" / "b", deep});
  CHECK(os::create_folders(deep, "test").empty());
  certvault_test::write_bytes(temp.path() / "a" / "b" / "file", bytes_of("x"));
  CHECK_THROWS_WITH(os::create_folders(temp.path() / "a" / "b" / "file" / "d", "test"),
                    Catch::Contains("is not a folder"));

  const auto outside = temp.path() / "outside";
  certvault_test::write_bytes(outside / "keep", bytes_of("kept"));
  std::filesystem::create_directory_symlink(outside, deep / "link");
  os::remove_tree(temp.path() / "a", "test");
  CHECK_FALSE(std::filesystem::exists(temp.path() / "a"));
  CHECK(certvault_test::read_bytes(outside / "keep") == bytes_of("kept"));
  CHECK_NOTHROW(os::remove_tree(temp.path() / "a", "test"));  // already gone
  CHECK(names_in(temp.path()) == std::set<std::string>{"outside"});
}

TEST_CASE("file system: rename moves folders too, and remove_folder removes only empty ones") {
  certvault_test::TempFolder temp("file-system");
  os::create_folder(temp.path() / "staged", "test");
  certvault_test::write_bytes(temp.path() / "staged" / "f", bytes_of("f"));
  os::file_system().rename(temp.path() / "staged", temp.path() / "target", "test");
  CHECK(certvault_test::read_bytes(temp.path() / "target" / "f") == bytes_of("f"));
  CHECK_THROWS_AS(os::file_system().remove_folder(temp.path() / "target", "test"), Error);
  os::remove_file(temp.path() / "target" / "f", "test");
  os::file_system().remove_folder(temp.path() / "target", "test");
  CHECK(names_in(temp.path()).empty());
}

TEST_CASE("file system: a whole-file lock and byte-range locks exclude other open files, even in one process") {
  certvault_test::TempFolder temp("file-system");
  const auto path = temp.path() / "lock";
  auto& files = os::file_system();
  auto first = files.open(path, os::OpenFor::kReadWriteCreate, "test");
  auto second = files.open(path, os::OpenFor::kReadWriteCreate, "test");

  CHECK(first->try_lock_file(os::LockKind::kShared));
  CHECK(second->try_lock_file(os::LockKind::kShared));
  CHECK_FALSE(second->try_lock_file(os::LockKind::kExclusive));

  constexpr uint64_t kAt = 1u << 30;
  CHECK(first->try_lock_range(kAt, 10, os::LockKind::kShared));
  CHECK(second->try_lock_range(kAt, 10, os::LockKind::kShared));
  CHECK_FALSE(second->try_lock_range(kAt + 5, 1, os::LockKind::kExclusive));
  first->unlock_range(kAt, 10);
  second->unlock_range(kAt, 10);
  CHECK(first->try_lock_range(kAt, 1, os::LockKind::kExclusive));
  CHECK_FALSE(second->try_lock_range(kAt, 1, os::LockKind::kShared));
  CHECK(second->try_lock_range(kAt + 1, 1, os::LockKind::kExclusive));  // another byte is free
  first->close();                                                       // closing releases the file's locks
  CHECK(second->try_lock_range(kAt, 1, os::LockKind::kExclusive));
}

namespace {
// Counts opens and forwards everything to the OS's file system.
class CountingFileSystem final : public os::FileSystem {
 public:
  int opens = 0;
  void rename(const std::filesystem::path& a, const std::filesystem::path& b, const std::string& o) override {
    os::os_file_system().rename(a, b, o);
  }
  void remove_file(const std::filesystem::path& p, const std::string& o, bool m) override {
    os::os_file_system().remove_file(p, o, m);
  }
  void create_folder(const std::filesystem::path& p, const std::string& o) override {
    os::os_file_system().create_folder(p, o);
  }
  void remove_folder(const std::filesystem::path& p, const std::string& o) override {
    os::os_file_system().remove_folder(p, o);
  }
  void sync_folder(const std::filesystem::path& p, const std::string& o) override {
    os::os_file_system().sync_folder(p, o);
  }
  std::vector<os::FolderEntry> list_folder(const std::filesystem::path& p, const std::string& o) override {
    return os::os_file_system().list_folder(p, o);
  }
  std::optional<os::FileStatus> status(const std::filesystem::path& p, bool f) override {
    return os::os_file_system().status(p, f);
  }
  void make_private(const std::filesystem::path& p, const std::string& o) override {
    os::os_file_system().make_private(p, o);
  }
  std::optional<uint64_t> free_space(const std::filesystem::path& p) override {
    return os::os_file_system().free_space(p);
  }

 protected:
  std::unique_ptr<os::OpenFile> open_file(const std::filesystem::path& p, os::OpenFor m, const std::string& o,
                                          std::string* failure) override {
    ++opens;
    return failure ? os::os_file_system().try_open(p, m, o, *failure) : os::os_file_system().open(p, m, o);
  }
};
}  // namespace

TEST_CASE("file system: a scoped replacement is the current file system until it ends") {
  certvault_test::TempFolder temp("file-system");
  CountingFileSystem counting;
  CHECK(&os::file_system() == &os::os_file_system());
  {
    os::ScopedFileSystem scope(counting);
    CHECK(&os::file_system() == &counting);
    os::File(temp.path() / "a", os::OpenFor::kCreateNew, "test");
    CHECK(counting.opens == 1);
  }
  CHECK(&os::file_system() == &os::os_file_system());
  os::File(temp.path() / "b", os::OpenFor::kCreateNew, "test");
  CHECK(counting.opens == 1);
}
