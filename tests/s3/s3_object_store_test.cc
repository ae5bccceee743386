// The ObjectStore contract on a real S3 gateway (Ceph RGW from scripts/ceph-rgw.sh): the same
// promises LocalObjectStore keeps, plus what only S3 has (pages of 1000 keys, multipart uploads).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"
#include "certvault/s3/client.h"
#include "gateway.h"

using namespace certvault;
using namespace certvault_s3_test;

namespace {

std::vector<uint8_t> random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::vector<uint8_t> bytes(size);
  for (auto& byte : bytes) byte = static_cast<uint8_t>(generator());
  return bytes;
}

std::vector<uint8_t> slice(const std::vector<uint8_t>& bytes, size_t offset, size_t length) {
  return {bytes.begin() + static_cast<std::ptrdiff_t>(offset),
          bytes.begin() + static_cast<std::ptrdiff_t>(offset + length)};
}

// A store under a fresh prefix, emptied (objects and incomplete uploads) when the test ends.
struct ScratchStore {
  explicit ScratchStore(const std::string& test)
      : location(gateway_location(fresh_prefix(test))),
        options(gateway_options()),
        client(location, options),
        store(open_s3_object_store(location, options)) {}
  ~ScratchStore() {
    try {
      for (const auto& upload : client.list_multipart_uploads(location.prefix + "/")) {
        client.abort_multipart_upload(upload.key, upload.upload_id);
      }
      for (const auto& object : client.list_objects(location.prefix + "/")) client.delete_object(object.key);
    } catch (const Error& error) {
      WARN("cleaning up " << location.to_string() << ": " << error.what());
    }
  }
  s3::S3Location location;
  s3::S3Options options;
  s3::S3Client client;
  std::unique_ptr<ObjectStore> store;
};

template <typename F>
Error error_of(F&& call) {
  try {
    call();
  } catch (const Error& error) {
    return error;
  }
  FAIL("no error");
  return Error(ErrorKind::kInternal, "");
}

}  // namespace

TEST_CASE("s3 store: put, ranged reads, size, exists, list and remove") {
  ScratchStore scratch("basic");
  auto& store = *scratch.store;
  const auto bytes = random_bytes(100000, 1);
  store.put("packs/ab/ab01.pack", bytes);
  store.put("config", random_bytes(10, 2));
  store.put("packs/cd/cd02.pack", random_bytes(1, 3));

  CHECK(store.exists("packs/ab/ab01.pack"));
  CHECK_FALSE(store.exists("packs/ab/missing.pack"));
  CHECK(store.size("packs/ab/ab01.pack") == bytes.size());
  CHECK(store.read_all("packs/ab/ab01.pack") == bytes);
  CHECK(store.read("packs/ab/ab01.pack", 0, 1) == slice(bytes, 0, 1));
  CHECK(store.read("packs/ab/ab01.pack", 4096, 7777) == slice(bytes, 4096, 7777));
  CHECK(store.read("packs/ab/ab01.pack", bytes.size() - 3, 3) == slice(bytes, bytes.size() - 3, 3));
  CHECK(store.read("packs/ab/ab01.pack", bytes.size(), 0).empty());

  CHECK(store.list("") == std::vector<std::string>{"config", "packs/ab/ab01.pack", "packs/cd/cd02.pack"});
  CHECK(store.list("packs/") == std::vector<std::string>{"packs/ab/ab01.pack", "packs/cd/cd02.pack"});
  CHECK(store.list("packs/ab") == std::vector<std::string>{"packs/ab/ab01.pack"});
  CHECK(store.list("snapshots/").empty());
  // The keys carry the prefix, the names do not.
  const auto objects = scratch.client.list_objects(scratch.location.prefix + "/");
  REQUIRE(objects.size() == 3);
  CHECK(objects[0].key == scratch.location.prefix + "/config");
  CHECK(objects[0].size == 10);

  store.remove("packs/cd/cd02.pack");
  CHECK_FALSE(store.exists("packs/cd/cd02.pack"));
  CHECK(store.list("packs/") == std::vector<std::string>{"packs/ab/ab01.pack"});
  // An invalid name is refused before any request.
  CHECK(error_of([&] { store.put("../escape", bytes); }).kind() == ErrorKind::kRefused);
}

TEST_CASE("s3 store: short and absent objects are errors naming the object") {
  ScratchStore scratch("errors");
  auto& store = *scratch.store;
  store.put("short", random_bytes(100, 4));
  const auto beyond = error_of([&] { store.read("short", 90, 20); });
  CHECK(beyond.kind() == ErrorKind::kIntegrity);
  CHECK_THAT(beyond.what(), Catch::Contains("/short") && Catch::Contains("shorter"));
  const auto past_end = error_of([&] { store.read("short", 200, 1); });
  CHECK(past_end.kind() == ErrorKind::kIntegrity);
  CHECK(error_of([&] { store.read("short", 101, 0); }).kind() == ErrorKind::kIntegrity);

  const auto absent = error_of([&] { store.read("absent", 0, 10); });
  CHECK(absent.kind() == ErrorKind::kFailure);
  CHECK_THAT(absent.what(), Catch::Contains("S3 GET") && Catch::Contains("/absent") && Catch::Contains("HTTP 404") &&
                                Catch::Contains("NoSuchKey") && Catch::Contains("after 1 attempt"));
  const auto absent_size = error_of([&] { store.size("absent"); });
  CHECK_THAT(absent_size.what(), Catch::Contains("size of object absent") && Catch::Contains("does not exist"));
  store.remove("absent");  // S3's DELETE: absent is fine
}

TEST_CASE("s3 store: wrong credentials fail at once (no retry), naming the S3 error") {
  auto location = gateway_location(fresh_prefix("credentials"));
  auto options = gateway_options();
  options.secret_access_key = "not-the-secret";
  auto store = open_s3_object_store(location, options);
  const auto refused = error_of([&] { store->put("x", random_bytes(10, 5)); });
  CHECK(refused.kind() == ErrorKind::kFailure);
  CHECK_THAT(refused.what(), Catch::Contains("HTTP 403") && Catch::Contains("SignatureDoesNotMatch") &&
                                 Catch::Contains("after 1 attempt"));
}

TEST_CASE("s3 store: more than 1000 objects are listed across pages, from several threads") {
  ScratchStore scratch("pages");
  auto& store = *scratch.store;
  constexpr int kObjects = 1234;
  std::vector<std::string> expected;
  for (int i = 0; i < kObjects; ++i) expected.push_back(fmt::format("index/{:05}", i));
  // Four writers share the store (and its client's handle pool).
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kObjects; i += 4) {
        try {
          store.put(expected[static_cast<size_t>(i)], random_bytes(16, static_cast<uint64_t>(i)));
        } catch (const Error&) {
          ++failures;
        }
      }
    });
  }
  for (auto& writer : writers) writer.join();
  REQUIRE(failures == 0);
  store.put("other", random_bytes(1, 9));
  const auto listed = store.list("index/");
  CHECK(listed.size() == expected.size());
  CHECK(listed == expected);
  CHECK(store.list("").size() == kObjects + 1);
  CHECK(store.read_all("index/01000") == random_bytes(16, 1000));
}

TEST_CASE("s3 store: a 40 MiB object goes up in parts and reads back exactly") {
  ScratchStore scratch("multipart");
  auto& store = *scratch.store;
  const auto bytes = random_bytes(40 << 20, 6);
  auto writer = store.create("packs/big.pack");
  // Appends of uneven sizes, one larger than a part.
  std::mt19937 generator(7);
  size_t offset = 0;
  while (offset < bytes.size()) {
    const size_t length = std::min(bytes.size() - offset, offset == 0 ? size_t(7 << 20) : size_t(generator() % 900000));
    writer->append(std::span(bytes).subspan(offset, length));
    offset += length;
    CHECK(writer->size() == offset);
  }
  // Parts are on their way but nothing is visible before commit.
  CHECK(scratch.client.list_multipart_uploads(scratch.location.prefix + "/").size() == 1);
  CHECK_FALSE(store.exists("packs/big.pack"));
  writer->commit();
  CHECK(store.exists("packs/big.pack"));
  CHECK(store.size("packs/big.pack") == bytes.size());
  CHECK(scratch.client.list_multipart_uploads(scratch.location.prefix + "/").empty());
  CHECK(store.read_all("packs/big.pack") == bytes);
  // A range across a part boundary (parts are 5 MiB).
  CHECK(store.read("packs/big.pack", (5 << 20) - 100, 200) == slice(bytes, (5 << 20) - 100, 200));
  CHECK(error_of([&] { writer->append(bytes); }).kind() == ErrorKind::kInternal);
}

TEST_CASE("s3 store: a writer destroyed without commit leaves nothing, small or multipart") {
  ScratchStore scratch("abandon");
  auto& store = *scratch.store;
  {
    auto writer = store.create("small");
    writer->append(random_bytes(1000, 8));
  }
  {
    auto writer = store.create("large");
    writer->append(random_bytes(12 << 20, 9));  // past the threshold: an upload with parts
    CHECK(scratch.client.list_multipart_uploads(scratch.location.prefix + "/").size() == 1);
  }
  CHECK_FALSE(store.exists("small"));
  CHECK_FALSE(store.exists("large"));
  CHECK(store.list("").empty());
  CHECK(scratch.client.list_multipart_uploads(scratch.location.prefix + "/").empty());
}

TEST_CASE("s3 store: remove_temporaries aborts abandoned multipart uploads under the prefix only") {
  ScratchStore scratch("temporaries");
  ScratchStore neighbour("temporaries-other");
  const auto mine = scratch.client.create_multipart_upload(scratch.location.key_of("packs/x.pack"));
  scratch.client.upload_part(scratch.location.key_of("packs/x.pack"), mine, 1, random_bytes(1000, 10));
  const auto theirs = neighbour.client.create_multipart_upload(neighbour.location.key_of("packs/y.pack"));
  CHECK(scratch.store->remove_temporaries() == 1);
  CHECK(scratch.client.list_multipart_uploads(scratch.location.prefix + "/").empty());
  CHECK(neighbour.client.list_multipart_uploads(neighbour.location.prefix + "/").size() == 1);
  // A young upload is left alone with the default age (it may be a writer at work elsewhere).
  auto patient_options = scratch.options;
  patient_options.abandoned_upload_age = std::chrono::seconds(3600);
  CHECK(open_s3_object_store(neighbour.location, patient_options)->remove_temporaries() == 0);
  CHECK(neighbour.store->remove_temporaries() == 1);
  (void)theirs;
}
