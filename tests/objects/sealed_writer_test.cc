// The sealed object store's writer (docs/format.md §8.3), whose blocks after the first are sealed
// and written on a background thread: objects of many blocks read back whole and in every range,
// and a failing disk surfaces at append() or commit(), never leaving a partial object.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/repository/object_store.h"
#include "crypto.h"
#include "crypto_format.h"
#include "fault_injecting_file_system.h"
#include "sealed_object_store.h"
#include "temp_folder.h"

using namespace certvault;
using certvault::testing::count_temp_files;
using certvault::testing::TempFolder;
using certvault_test::Fault;
using certvault_test::FaultInjectingFileSystem;
using certvault_test::FaultKind;

namespace {

constexpr uint64_t kBlock = crypto_format::kSealedBlockSize;
const std::string kRepositoryId(32, 'a');

std::unique_ptr<ObjectStore> sealed_store(const TempFolder& folder) {
  static const auto key = crypto::new_master_key(kRepositoryId);
  return seal_object_store(open_local_object_store(folder.path()), key);
}

// Bytes that differ at every offset within a block and between blocks.
std::vector<uint8_t> pattern(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 131) ^ (i >> 16));
  return bytes;
}

// Appends in uneven pieces (small, then one larger than the sealing queue holds, then small).
void write_in_pieces(ObjectStore& store, const std::string& name, const std::vector<uint8_t>& bytes) {
  auto writer = store.create(name);
  size_t at = 0;
  for (const size_t piece : {size_t{1}, size_t{4093}, size_t{kBlock - 4094}, size_t{3 << 20}}) {
    const size_t n = std::min(piece, bytes.size() - at);
    writer->append(std::span(bytes).subspan(at, n));
    at += n;
  }
  while (at < bytes.size()) {
    const size_t n = std::min<size_t>(7777, bytes.size() - at);
    writer->append(std::span(bytes).subspan(at, n));
    at += n;
  }
  CHECK(writer->size() == bytes.size());
  writer->commit();
}

}  // namespace

TEST_CASE("sealed objects of many blocks read back whole and in ranges across block boundaries") {
  TempFolder folder;
  auto store = sealed_store(folder);
  for (const size_t size : {size_t{0}, size_t{10}, size_t{kBlock}, size_t{kBlock + 1}, size_t{5 * kBlock + 123},
                            size_t{(4 << 20) + 17}, size_t{64 * kBlock}}) {
    INFO("object of " << size << " bytes");
    const auto bytes = pattern(size);
    const std::string name = "packs/ab/object-" + std::to_string(size);
    write_in_pieces(*store, name, bytes);
    REQUIRE(store->size(name) == size);
    CHECK(store->read_all(name) == bytes);
    // On disk: the header, and 16 bytes of tag per block (the last one possibly short or empty).
    const uint64_t blocks = size == 0 ? 1 : (size + kBlock - 1) / kBlock;
    CHECK(open_local_object_store(folder.path())->size(name) ==
          crypto_format::kSealedHeaderSize + size + blocks * crypto_format::kTagSize);
    for (const auto& [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 1}, {kBlock - 1, 2}, {kBlock, kBlock}, {kBlock - 5, 2 * kBlock + 10}, {3, 3 * kBlock}}) {
      if (offset + length > size) continue;
      INFO("range " << offset << "+" << length);
      const auto range = store->read(name, offset, length);
      CHECK(std::equal(range.begin(), range.end(), bytes.begin() + static_cast<ptrdiff_t>(offset)));
    }
  }
}

TEST_CASE("sealed writer on a failing disk: the error reaches append or commit, and the object is whole or absent") {
  const auto bytes = pattern(20 * kBlock + 99);
  // Every file-system call of writing the object, counted by a fault that never fires.
  uint64_t calls = 0;
  {
    TempFolder folder;
    FaultInjectingFileSystem files;
    files.add(Fault{FaultKind::kIoError, UINT64_MAX, {}, "packs"});
    {
      os::ScopedFileSystem scope(files);
      write_in_pieces(*sealed_store(folder), "packs/ab/object", bytes);
    }
    calls = files.counted()[0];
  }
  REQUIRE(calls > 8);
  for (uint64_t call = 1; call <= calls; ++call) {
    INFO("I/O error at file-system call " << call << " of " << calls);
    TempFolder folder;
    FaultInjectingFileSystem files;
    files.add(Fault{FaultKind::kIoError, call, {}, "packs"});
    {
      os::ScopedFileSystem scope(files);
      try {
        write_in_pieces(*sealed_store(folder), "packs/ab/object", bytes);
        FAIL("no failure");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::kFailure);
        CHECK_THAT(e.what(), Catch::Contains("packs") && Catch::Contains("Input/output error"));
      }
    }
    REQUIRE(files.injected().size() == 1);
    auto after = sealed_store(folder);  // what the next process finds
    if (after->exists("packs/ab/object")) CHECK(after->read_all("packs/ab/object") == bytes);
    CHECK(count_temp_files(folder.path()) == 0);
  }
}
