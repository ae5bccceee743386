// The fault-injecting file system (tests/support): each kind of fault, and
// how faults are chosen by call and path.
#include "fault_injecting_file_system.h"

#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "test_support.h"

using certvault_test::Call;
using certvault_test::Fault;
using certvault_test::FaultInjectingFileSystem;
using certvault_test::FaultKind;
namespace os = certvault::os;

namespace {
std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }
}  // namespace

TEST_CASE("fault injection: an I/O error on the chosen call of the chosen path, named like the system's") {
  certvault_test::TempFolder temp("faults");
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kIoError, 2, {Call::kWrite}, "packs"});
  os::ScopedFileSystem scope(files);
  os::File other(temp.path() / "other", os::OpenFor::kCreateNew, "test");
  other.write_all(bytes_of("not counted"));
  os::create_folder(temp.path() / "packs", "test");
  os::File pack(temp.path() / "packs" / "p", os::OpenFor::kCreateNew, "write pack p");
  pack.write_all(bytes_of("first"));
  try {
    pack.write_all(bytes_of("second"));
    FAIL("no fault injected");
  } catch (const certvault::Error& error) {
    CHECK_THAT(error.what(), Catch::Contains("write pack p") && Catch::Contains("packs/p") &&
                                 Catch::Contains("at offset 5") && Catch::Contains("Input/output error (errno 5"));
  }
  pack.write_all(bytes_of("third"));  // only the second write fails
  CHECK(files.counted() == std::vector<uint64_t>{3});
  CHECK(files.injected().size() == 1);
  CHECK(certvault_test::read_bytes(temp.path() / "packs" / "p") == bytes_of("firstthird"));
}

TEST_CASE("fault injection: no space keeps half of the write, and at = 0 fails every call") {
  certvault_test::TempFolder temp("faults");
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kNoSpace, 0, {}, ""});
  os::ScopedFileSystem scope(files);
  os::File file(temp.path() / "f", os::OpenFor::kCreateNew, "test");
  CHECK_THROWS_WITH(file.write_all(bytes_of("12345678")), Catch::Contains("No space left on device (errno 28"));
  CHECK_THROWS_AS(file.write_all(bytes_of("12")), certvault::Error);
  CHECK(file.size() == 4);
  CHECK(files.counted() == std::vector<uint64_t>{2});
}

TEST_CASE("fault injection: a short read and a flipped byte do not throw: the reader must notice") {
  certvault_test::TempFolder temp("faults");
  certvault_test::write_bytes(temp.path() / "f", bytes_of("0123456789"));
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kShortRead, 1, {}, ""});
  files.add(Fault{FaultKind::kFlippedByte, 2, {}, ""});
  os::ScopedFileSystem scope(files);
  os::File file(temp.path() / "f", os::OpenFor::kRead, "test");
  std::vector<uint8_t> buffer(10);
  CHECK(file.read_at(0, buffer) == 5);  // short, though ten bytes are there
  CHECK(file.read_at(0, buffer) == 10);
  CHECK(buffer == bytes_of("0123446789"));  // the middle byte: '5' ^ 1 == '4'
  CHECK(file.read_at(0, buffer) == 10);
  CHECK(buffer == bytes_of("0123456789"));
}

TEST_CASE("fault injection: folder calls, renames and opens fail too") {
  certvault_test::TempFolder temp("faults");
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kIoError, 1, {Call::kSyncFolder}, ""});
  files.add(Fault{FaultKind::kIoError, 1, {Call::kRename}, ""});
  files.add(Fault{FaultKind::kIoError, 1, {Call::kOpen}, "locked"});
  os::ScopedFileSystem scope(files);
  CHECK_THROWS_WITH(os::sync_folder(temp.path(), "commit x"), Catch::Contains("commit x: fsync folder"));
  certvault_test::write_bytes(temp.path() / "a", bytes_of("a"));
  CHECK_THROWS_WITH(os::replace_file(temp.path() / "a", temp.path() / "b", "commit b"),
                    Catch::Contains("commit b: rename"));
  CHECK(std::filesystem::exists(temp.path() / "a"));
  CHECK_THROWS_AS(os::File(temp.path() / "locked", os::OpenFor::kCreateNew, "test"), certvault::Error);
  CHECK_FALSE(std::filesystem::exists(temp.path() / "locked"));
}
