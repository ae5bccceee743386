// The local object store on a failing disk (tests/support's fault-injecting
// file system) and in a killed process (the power-loss file system, without
// dropping what was written): every file-system call of a write, and reads.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/repository/object_store.h"
#include "fault_injecting_file_system.h"
#include "power_loss_file_system.h"
#include "temp_folder.h"

using namespace certvault;
using certvault::testing::bytes_of;
using certvault::testing::count_temp_files;
using certvault::testing::TempFolder;
using certvault_test::Call;
using certvault_test::Fault;
using certvault_test::FaultInjectingFileSystem;
using certvault_test::FaultKind;

namespace {

const std::vector<uint8_t> kBig(3 << 20, 1);  // beyond the write buffer: bytes reach the temp file early

void write_object(ObjectStore& store) {
  auto writer = store.create("packs/aa/object");
  writer->append(bytes_of("hello "));
  writer->append(kBig);
  writer->commit();
}

std::vector<uint8_t> expected_object() {
  auto bytes = bytes_of("hello ");
  bytes.insert(bytes.end(), kBig.begin(), kBig.end());
  return bytes;
}

// Every file-system call of writing one object (in a fresh store), counted by a fault that never fires.
uint64_t calls_of_a_write() {
  TempFolder folder;
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kIoError, UINT64_MAX, {}, ""});
  {
    os::ScopedFileSystem scope(files);
    write_object(*open_local_object_store(folder.path()));
  }
  return files.counted()[0];
}

}  // namespace

TEST_CASE(
    "object store on a failing disk: whichever call fails, the object is whole or absent, and no temp file is left") {
  const uint64_t calls = calls_of_a_write();
  REQUIRE(calls > 8);
  for (uint64_t call = 1; call <= calls; ++call) {
    INFO("I/O error at file-system call " << call << " of " << calls);
    TempFolder folder;
    FaultInjectingFileSystem files;
    files.add(Fault{FaultKind::kIoError, call, {}, ""});
    {
      os::ScopedFileSystem scope(files);
      try {
        write_object(*open_local_object_store(folder.path()));
        FAIL("no failure");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::kFailure);
        CHECK_THAT(e.what(), Catch::Contains(folder.path().string()) && Catch::Contains("Input/output error"));
      }
    }
    REQUIRE(files.injected().size() == 1);
    auto after = open_local_object_store(folder.path());  // what the next process finds
    if (after->exists("packs/aa/object")) CHECK(after->read_all("packs/aa/object") == expected_object());
    CHECK(count_temp_files(folder.path()) == 0);
  }
}

TEST_CASE("object store on a full disk: a write that stops half way leaves nothing behind") {
  TempFolder folder;
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kNoSpace, 2, {}, "packs"});
  {
    os::ScopedFileSystem scope(files);
    CHECK_THROWS_WITH(write_object(*open_local_object_store(folder.path())),
                      Catch::Contains("packs/aa/object") && Catch::Contains("No space left on device"));
  }
  CHECK(open_local_object_store(folder.path())->list("").empty());
  CHECK(count_temp_files(folder.path()) == 0);
}

TEST_CASE("object store in a killed process: the temp file stays until remove_temporaries()") {
  TempFolder folder;
  {
    certvault_test::PowerLossFileSystem files(folder.path());
    files.cut_at(1, certvault_test::CutWhen::kBefore);  // the process dies at the object's fsync
    os::ScopedFileSystem scope(files);
    CHECK_THROWS_AS(write_object(*open_local_object_store(folder.path())), certvault_test::PowerCut);
  }
  // Nothing is dropped: a killed process loses no written byte. Nothing cleaned up either.
  auto store = open_local_object_store(folder.path());
  CHECK(store->list("").empty());
  CHECK(count_temp_files(folder.path()) == 1);
  CHECK(store->remove_temporaries() == 1);
  CHECK(count_temp_files(folder.path()) == 0);
}

TEST_CASE("object store reads on a failing disk: an I/O error and a short read name the object") {
  TempFolder folder;
  open_local_object_store(folder.path())->put("packs/aa/object", expected_object());
  FaultInjectingFileSystem files;
  files.add(Fault{FaultKind::kIoError, 1, {Call::kRead}, "object"});
  files.add(Fault{FaultKind::kShortRead, 2, {}, "object"});
  files.add(Fault{FaultKind::kFlippedByte, 3, {}, "object"});
  os::ScopedFileSystem scope(files);
  auto store = open_local_object_store(folder.path());
  CHECK_THROWS_WITH(store->read("packs/aa/object", 6, 1000), Catch::Contains("read object packs/aa/object") &&
                                                                 Catch::Contains("Input/output error") &&
                                                                 Catch::Contains("offset 6"));
  try {
    store->read("packs/aa/object", 6, 1000);
    FAIL("a short read went unnoticed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK_THAT(e.what(), Catch::Contains("packs/aa/object") && Catch::Contains("short read"));
  }
  // The store itself does not verify bytes (packs do, with their checksums): a flipped byte passes here.
  const auto flipped = store->read("packs/aa/object", 0, 6);
  CHECK(flipped != bytes_of("hello "));
  CHECK(store->read("packs/aa/object", 0, 6) == bytes_of("hello "));
  CHECK(files.injected().size() == 3);
}
