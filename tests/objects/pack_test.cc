#include "pack.h"

#include <xxhash.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"
#include "temp_folder.h"

using namespace certvault;
using certvault::testing::TempFolder;

namespace {
pack::ChunkId id_of(uint8_t seed) {
  pack::ChunkId id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed * 31 + i);
  return id;
}

std::vector<uint8_t> compress(const std::vector<uint8_t>& raw) {
  std::vector<uint8_t> out(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<uint8_t> decompress(const std::vector<uint8_t>& stored, size_t raw_size) {
  std::vector<uint8_t> out(raw_size);
  const size_t n = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<uint8_t> sample_chunk(size_t size, uint8_t seed, bool compressible) {
  std::vector<uint8_t> bytes(size);
  uint32_t state = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    state = state * 1103515245u + 12345u;
    bytes[i] = compressible ? static_cast<uint8_t>("certificate "[i % 12]) : static_cast<uint8_t>(state >> 24);
  }
  return bytes;
}

struct WrittenPack {
  std::string name;
  std::vector<pack::EntryInfo> entries;
  std::vector<std::vector<uint8_t>> raw;
};

WrittenPack write_sample_pack(ObjectStore& store) {
  WrittenPack written;
  written.name = pack::new_pack_name();
  pack::PackWriter writer(store, written.name, pack::kVersion1);
  for (uint8_t i = 0; i < 6; ++i) {
    const bool compressed = i % 2 == 0;
    auto raw = sample_chunk(1000 + i * 517u, i, compressed);
    const auto stored = compressed ? compress(raw) : raw;
    const auto info =
        writer.add(id_of(i), static_cast<uint32_t>(raw.size()), compressed ? pack::kFlagCompressed : 0, stored);
    CHECK(info.stored_size == stored.size());
    written.raw.push_back(std::move(raw));
  }
  CHECK(writer.entry_count() == 6);
  written.entries = writer.finish();
  return written;
}

void rewrite(ObjectStore& store, const std::string& name, const std::vector<uint8_t>& bytes) {
  store.remove(name);
  store.put(name, bytes);
}

// Runs `operation` and returns the integrity error's message.
template <typename Operation>
std::string integrity_error(Operation&& operation) {
  try {
    operation();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    return e.what();
  }
  FAIL("no integrity error");
  return {};
}
}  // namespace

TEST_CASE("pack: compressed and raw entries round trip through the index") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  CHECK(pack.name.starts_with("packs/" + pack.name.substr(6, 2) + "/"));
  CHECK(pack.name.size() == std::string("packs/xx/").size() + 32 + 5);
  CHECK(store->list("packs/") == std::vector<std::string>{pack.name});

  const auto index = pack::read_index(*store, pack.name);
  REQUIRE(index.size() == pack.entries.size());
  for (size_t i = 0; i < index.size(); ++i) {
    INFO("entry " << i);
    CHECK(index[i].id == id_of(static_cast<uint8_t>(i)));
    CHECK(index[i].offset == pack.entries[i].offset);
    CHECK(index[i].stored_size == pack.entries[i].stored_size);
    CHECK(index[i].raw_size == pack.raw[i].size());
    CHECK(index[i].flags == pack.entries[i].flags);
    const auto stored = pack::read_stored(*store, pack.name, index[i]);
    if (index[i].flags & pack::kFlagCompressed) {
      CHECK(stored.size() < pack.raw[i].size());
      CHECK(decompress(stored, index[i].raw_size) == pack.raw[i]);
    } else {
      CHECK(stored == pack.raw[i]);
    }
  }
  CHECK(pack.entries.front().offset == pack::kHeaderSize);
}

TEST_CASE("pack: an empty pack has a valid empty index") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const std::string name = pack::new_pack_name();
  pack::PackWriter writer(*store, name, pack::kVersion1);
  CHECK(writer.finish().empty());
  CHECK(store->size(name) == pack::kHeaderSize + pack::kFooterSize);
  CHECK(pack::read_index(*store, name).empty());
}

TEST_CASE("pack: new pack names are distinct and valid") {
  const auto a = pack::new_pack_name();
  const auto b = pack::new_pack_name();
  CHECK(a != b);
  CHECK_NOTHROW(validate_object_name(a));
}

TEST_CASE("pack: a flipped byte in a stored chunk is a checksum error naming the offset") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  const auto& victim = pack.entries[3];
  auto bytes = store->read_all(pack.name);
  const uint64_t stored_offset = victim.offset + pack::kEntryHeaderSize;
  bytes[stored_offset + 10] ^= 0x40;
  rewrite(*store, pack.name, bytes);

  CHECK(pack::read_index(*store, pack.name).size() == 6);  // the index is intact
  const auto message = integrity_error([&] { (void)pack::read_stored(*store, pack.name, victim); });
  CHECK_THAT(message, Catch::Contains(pack.name) && Catch::Contains("offset " + std::to_string(stored_offset)) &&
                          Catch::Contains("checksum"));
  CHECK_NOTHROW(pack::read_stored(*store, pack.name, pack.entries[2]));
}

TEST_CASE("pack: a flipped entry header byte or a wrong expectation is detected") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  auto expected = pack.entries[1];
  expected.raw_size += 1;
  CHECK_THAT(integrity_error([&] { (void)pack::read_stored(*store, pack.name, expected); }),
             Catch::Contains("raw_size"));
  expected = pack.entries[1];
  expected.id[0] ^= 1;
  CHECK_THAT(integrity_error([&] { (void)pack::read_stored(*store, pack.name, expected); }),
             Catch::Contains("chunk id"));

  auto bytes = store->read_all(pack.name);
  bytes[pack.entries[1].offset + 25] ^= 1;  // inside raw_size of the entry header
  rewrite(*store, pack.name, bytes);
  CHECK_THAT(
      integrity_error([&] { (void)pack::read_stored(*store, pack.name, pack.entries[1]); }),
      Catch::Contains("header_check") && Catch::Contains("offset " + std::to_string(pack.entries[1].offset + 40)));
}

TEST_CASE("pack: a flipped byte in the index or footer is detected") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  const auto original = store->read_all(pack.name);
  const size_t footer = original.size() - pack::kFooterSize;
  const size_t index = footer - pack.entries.size() * pack::kIndexRecordSize;
  for (size_t position :
       {index + 3, index + 16, index + 45, footer - 1, footer + 0, footer + 8, footer + 12, footer + 17, footer + 27}) {
    INFO("flipped byte at " << position);
    auto bytes = original;
    bytes[position] ^= 0x08;
    rewrite(*store, pack.name, bytes);
    CHECK_THAT(integrity_error([&] { (void)pack::read_index(*store, pack.name); }), Catch::Contains(pack.name));
  }
}

TEST_CASE("pack: truncated packs and garbage files are integrity errors") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  const auto original = store->read_all(pack.name);
  for (size_t keep : {size_t{0}, size_t{10}, size_t{47}, original.size() / 2, original.size() - 1}) {
    INFO("kept " << keep << " bytes");
    rewrite(*store, pack.name, std::vector<uint8_t>(original.begin(), original.begin() + static_cast<long>(keep)));
    (void)integrity_error([&] { (void)pack::read_index(*store, pack.name); });
    const auto& last = pack.entries.back();
    if (keep < last.offset + pack::kEntryHeaderSize + last.stored_size) {
      (void)integrity_error([&] { (void)pack::read_stored(*store, pack.name, last); });
    }
  }
  std::vector<uint8_t> garbage(5000);
  uint32_t state = 99;
  for (auto& byte : garbage) byte = static_cast<uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
  rewrite(*store, pack.name, garbage);
  (void)integrity_error([&] { (void)pack::read_index(*store, pack.name); });
  (void)integrity_error([&] { (void)pack::read_stored(*store, pack.name, pack.entries[0]); });
}

TEST_CASE("pack: huge sizes in the footer or an expectation are refused before allocating") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  auto bytes = store->read_all(pack.name);
  const size_t footer = bytes.size() - pack::kFooterSize;
  auto huge = bytes;
  for (size_t i = 0; i < 4; ++i) huge[footer + 8 + i] = 0xff;  // entry_count 2^32-1
  rewrite(*store, pack.name, huge);
  CHECK_THAT(integrity_error([&] { (void)pack::read_index(*store, pack.name); }), Catch::Contains("entry_count"));
  huge = bytes;
  for (size_t i = 0; i < 8; ++i) huge[footer + i] = i == 7 ? 0x7f : 0xff;  // index_offset near 2^63
  rewrite(*store, pack.name, huge);
  CHECK_THAT(integrity_error([&] { (void)pack::read_index(*store, pack.name); }), Catch::Contains("index_offset"));

  rewrite(*store, pack.name, bytes);
  auto expected = pack.entries[0];
  expected.stored_size = 0xffffffffu;
  (void)integrity_error([&] { (void)pack::read_stored(*store, pack.name, expected); });
  expected = pack.entries[0];
  expected.offset = ~uint64_t{0} - 10;
  (void)integrity_error([&] { (void)pack::read_stored(*store, pack.name, expected); });

  // parse_index with a claimed pack size of 2^64-1 and a maximal entry count.
  std::vector<uint8_t> tail(pack::kFooterSize, 0);
  const uint64_t pack_size = ~uint64_t{0};
  const uint64_t index_offset = pack_size - pack::kFooterSize - uint64_t{0xffffffff} * pack::kIndexRecordSize;
  for (size_t i = 0; i < 8; ++i) tail[i] = static_cast<uint8_t>(index_offset >> (8 * i));
  for (size_t i = 8; i < 12; ++i) tail[i] = 0xff;
  tail[12] = 1;
  std::memcpy(&tail[24], "CVPKEND", 8);
  (void)integrity_error([&] { (void)pack::parse_index(tail, pack_size, "fuzz"); });
}

TEST_CASE("pack: adding a chunk with unknown flags or inconsistent sizes is refused") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  pack::PackWriter writer(*store, pack::new_pack_name(), pack::kVersion1);
  const std::vector<uint8_t> stored(10, 1);
  CHECK_THROWS_AS(writer.add(id_of(1), 10, pack::kFlagEncrypted, stored), Error);
  CHECK_THROWS_AS(writer.add(id_of(1), 11, 0, stored), Error);
  CHECK(writer.entry_count() == 0);
}

TEST_CASE("pack: parse_index reads the tail of a real pack and only at its true size") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  const auto bytes = store->read_all(pack.name);
  const size_t tail_size = pack.entries.size() * pack::kIndexRecordSize + pack::kFooterSize;
  const std::span<const uint8_t> tail(bytes.data() + bytes.size() - tail_size, tail_size);
  const auto entries = pack::parse_index(tail, bytes.size(), pack.name);
  REQUIRE(entries.size() == pack.entries.size());
  CHECK(entries.back().offset == pack.entries.back().offset);
  (void)integrity_error([&] { (void)pack::parse_index(tail, bytes.size() + 1, pack.name); });
  (void)integrity_error([&] { (void)pack::parse_index(tail.subspan(1), bytes.size(), pack.name); });
  (void)integrity_error([&] { (void)pack::parse_index(tail.first(20), bytes.size(), pack.name); });
}

TEST_CASE("pack: every byte of the pack header and of an entry header is covered by a check") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  const auto original = store->read_all(pack.name);
  for (size_t position = 0; position < pack::kHeaderSize; ++position) {
    INFO("flipped pack header byte " << position);
    auto bytes = original;
    bytes[position] ^= 0x40;
    rewrite(*store, pack.name, bytes);
    const auto message = integrity_error([&] { (void)pack::read_index(*store, pack.name); });
    CHECK_THAT(message, Catch::Contains(pack.name) && Catch::Contains("pack "));
    CHECK(message.find(position < 4   ? "magic"
                       : position < 6 ? "version"
                       : position < 8 ? "flags"
                                      : "reserved") != std::string::npos);
    CHECK_THROWS_AS(pack::verify_header(std::span(bytes).first(pack::kHeaderSize), pack.name), Error);
  }
  CHECK_NOTHROW(pack::verify_header(std::span(original).first(pack::kHeaderSize), pack.name));
  const auto& entry = pack.entries[1];
  for (size_t position = 0; position < pack::kEntryHeaderSize; ++position) {
    INFO("flipped entry header byte " << position);
    auto bytes = original;
    bytes[entry.offset + position] ^= 0x40;
    rewrite(*store, pack.name, bytes);
    const auto message = integrity_error([&] { (void)pack::read_stored(*store, pack.name, entry); });
    if (position >= pack::kEntryReservedAt) {
      CHECK_THAT(message, Catch::Contains("entry reserved field at offset " +
                                          std::to_string(entry.offset + pack::kEntryReservedAt)));
    }
  }
}

TEST_CASE("pack: an index record with an envelope is refused in version 1, even with a matching checksum") {
  TempFolder folder;
  auto store = open_local_object_store(folder.path());
  const auto pack = write_sample_pack(*store);
  auto bytes = store->read_all(pack.name);
  const size_t footer = bytes.size() - pack::kFooterSize;
  const size_t index = footer - pack.entries.size() * pack::kIndexRecordSize;
  bytes[index + pack::kRecordEnvelopeSizeAt] = 1;
  const uint64_t checksum = XXH64(bytes.data() + index, footer - index, 0);
  for (size_t i = 0; i < 8; ++i)
    bytes[footer + pack::kFooterIndexXxh64At + i] = static_cast<uint8_t>(checksum >> (8 * i));
  rewrite(*store, pack.name, bytes);
  CHECK_THAT(integrity_error([&] { (void)pack::read_index(*store, pack.name); }),
             Catch::Contains("index record 0 envelope_size"));
}
