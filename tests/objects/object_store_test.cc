#include "certvault/repository/object_store.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "certvault/base/error.h"
#include "temp_folder.h"

using namespace certvault;
using certvault::testing::bytes_of;
using certvault::testing::count_temp_files;
using certvault::testing::TempFolder;

TEST_CASE("local object store: put, read, list and remove round trip") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  store->put("packs/ab/ab01.pack", bytes_of("first object"));
  store->put("packs/cd/cd02.pack", bytes_of("second"));
  store->put("config", bytes_of("cfg"));

  CHECK(store->exists("packs/ab/ab01.pack"));
  CHECK_FALSE(store->exists("packs/ab/missing.pack"));
  CHECK(store->size("packs/ab/ab01.pack") == 12);
  CHECK(store->read_all("packs/cd/cd02.pack") == bytes_of("second"));
  CHECK(store->read("packs/ab/ab01.pack", 6, 6) == bytes_of("object"));
  CHECK(store->list("packs/") == std::vector<std::string>{"packs/ab/ab01.pack", "packs/cd/cd02.pack"});
  CHECK(store->list("packs/c") == std::vector<std::string>{"packs/cd/cd02.pack"});
  CHECK(store->list("") == std::vector<std::string>{"config", "packs/ab/ab01.pack", "packs/cd/cd02.pack"});
  CHECK(store->list("nothing/").empty());
  CHECK(store->list("../").empty());
  CHECK(store->list("packs/../packs/").empty());

  store->remove("packs/ab/ab01.pack");
  CHECK_FALSE(store->exists("packs/ab/ab01.pack"));
  CHECK(store->list("packs/") == std::vector<std::string>{"packs/cd/cd02.pack"});
  CHECK_THROWS_AS(store->remove("packs/ab/ab01.pack"), Error);
}

TEST_CASE("local object store: a large object written in pieces reads back intact") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  std::vector<uint8_t> expected;
  auto writer = store->create("big/object");
  for (int piece = 0; piece < 40; ++piece) {
    std::vector<uint8_t> bytes(static_cast<size_t>(50'000 + piece * 1'000), static_cast<uint8_t>(piece));
    writer->append(bytes);
    expected.insert(expected.end(), bytes.begin(), bytes.end());
  }
  CHECK(writer->size() == expected.size());
  writer->commit();
  CHECK(store->read_all("big/object") == expected);
}

TEST_CASE("local object store: reads beyond the end are integrity errors and allocate nothing") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  store->put("small", bytes_of("12345"));
  try {
    (void)store->read("small", 3, uint64_t{1} << 60);
    FAIL("read past the end succeeded");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK_THAT(e.what(), Catch::Contains("small") && Catch::Contains("offset 3"));
  }
  CHECK_THROWS_AS(store->read("small", 6, 0), Error);
  CHECK(store->read("small", 5, 0).empty());
  CHECK_THROWS_AS(store->read_all("absent"), Error);
}

TEST_CASE("local object store: temp files of open writers never appear in list()") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  auto writer = store->create("snapshots/s1");
  writer->append(bytes_of("partial"));
  CHECK(count_temp_files(folder.path()) <= 1);
  CHECK(store->list("").empty());
  CHECK(store->list("snapshots/").empty());
  CHECK_FALSE(store->exists("snapshots/s1"));
  writer->commit();
  CHECK(store->list("snapshots/") == std::vector<std::string>{"snapshots/s1"});
  CHECK(count_temp_files(folder.path()) == 0);
}

TEST_CASE("local object store: an uncommitted writer leaves no object") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  {
    auto writer = store->create("snapshots/never");
    writer->append(bytes_of("lost"));
  }
  CHECK_FALSE(store->exists("snapshots/never"));
  CHECK(store->list("").empty());
  CHECK(count_temp_files(folder.path()) == 0);

  // An abandoned writer models a killed process: its temp file stays until cleaned.
  {
    auto writer = store->create("snapshots/killed");
    writer->append(std::vector<uint8_t>(2 << 20, 7));  // beyond the write buffer, so bytes reach the file
    writer->abandon();
  }
  CHECK(store->list("").empty());
  CHECK(count_temp_files(folder.path()) == 1);
  CHECK(store->remove_temporaries() == 1);
  CHECK(count_temp_files(folder.path()) == 0);
  CHECK(store->remove_temporaries() == 0);
}

TEST_CASE("local object store: invalid names are refused") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  for (const std::string name :
       {"", "/etc/passwd", "a//b", "a/", "./a", "a/../b", "..", "a b", "a\\b", "über", "a/.tmp-123-b", "x\n"}) {
    INFO("name: " << name);
    try {
      validate_object_name(name);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kRefused);
    }
    CHECK_THROWS_AS(store->create(name), Error);
    CHECK_THROWS_AS(store->exists(name), Error);
  }
  CHECK_NOTHROW(validate_object_name("packs/0a/0a1B-2_c.pack"));
  CHECK_NOTHROW(validate_object_name(".hidden/file..name"));
  CHECK_FALSE(std::filesystem::exists(folder.path().parent_path() / "b"));
}

TEST_CASE("local object store: refuses a root that is not a folder") {
  TempFolder folder;
  CHECK_THROWS_AS(open_local_object_store(folder.path() / "missing"), Error);
  std::ofstream(folder.path() / "file") << "x";
  CHECK_THROWS_AS(open_local_object_store(folder.path() / "file"), Error);
}
