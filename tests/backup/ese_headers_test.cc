#include "certvault/operations/ese_headers.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "certvault/base/error.h"
#include "certvault/operations/file_chunking.h"

using namespace certvault;

namespace {
void put_u32(std::vector<uint8_t>& bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
}

std::vector<uint8_t> header_of_type(ese::FileType type) {
  std::vector<uint8_t> bytes(8192, 0);
  if (type == ese::FileType::kDatabase) put_u32(bytes, ese::kMagicOffset, ese::kHeaderMagic);
  bytes[ese::kFileTypeOffset] = static_cast<uint8_t>(type);
  return bytes;
}
}  // namespace

TEST_CASE("database header fields are read at ESE's offsets") {
  auto bytes = header_of_type(ese::FileType::kDatabase);
  put_u32(bytes, ese::kFormatVersionOffset, 0x620);
  put_u32(bytes, ese::kDatabaseStateOffset, 3);
  put_u32(bytes, ese::kPageSizeOffset, 8192);
  put_u32(bytes, ese::kLowestRequiredGenerationOffset, 17);
  put_u32(bytes, ese::kHighestRequiredGenerationOffset, 21);
  put_u32(bytes, ese::kLastFullBackupOffset + 16, 5);
  put_u32(bytes, ese::kLastFullBackupOffset + 20, 9);
  const auto header = ese::parse_database_header(bytes);
  CHECK(header.format_version == 0x620);
  CHECK(header.state == 3);
  CHECK(header.page_size == 8192);
  CHECK(header.lowest_required_generation == 17);
  CHECK(header.highest_required_generation == 21);
  CHECK(header.last_full_backup.gen_low == 5);
  CHECK(header.last_full_backup.gen_high == 9);
}

TEST_CASE("malformed headers are rejected with the field and offset named") {
  auto bytes = header_of_type(ese::FileType::kDatabase);
  put_u32(bytes, ese::kPageSizeOffset, 8192);
  SECTION("too short") {
    bytes.resize(100);
    CHECK_THROWS_WITH(ese::parse_database_header(bytes), Catch::Contains("only 100 bytes"));
  }
  SECTION("bad magic") {
    put_u32(bytes, ese::kMagicOffset, 0x12345678);
    CHECK_THROWS_WITH(ese::parse_database_header(bytes), Catch::Contains("0x12345678"));
  }
  SECTION("wrong file type") {
    CHECK_THROWS_WITH(ese::parse_log_generation(bytes), Catch::Contains("file type at offset 667 is 1"));
  }
  SECTION("page size not a power of two") {
    put_u32(bytes, ese::kPageSizeOffset, 8000);
    CHECK_THROWS_AS(ese::parse_database_header(bytes), Error);
  }
}

TEST_CASE("log and checkpoint generations") {
  auto log = header_of_type(ese::FileType::kLog);
  put_u32(log, ese::kLogGenerationOffset, 0x1234);
  CHECK(ese::parse_log_generation(log) == 0x1234);
  auto checkpoint = header_of_type(ese::FileType::kCheckpoint);
  put_u32(checkpoint, ese::kCheckpointGenerationOffset, 77);
  CHECK(ese::parse_checkpoint_generation(checkpoint) == 77);
}

TEST_CASE("log generations from ESE file names") {
  CHECK(ese::log_generation_from_name("edb0000A.log") == 10u);
  CHECK(ese::log_generation_from_name("C:\\Windows\\system32\\CertLog\\edb000ff.LOG") == 255u);
  CHECK(ese::log_generation_from_name("/ca/CertLog/edb12345678.log") == 0x12345678u);
  CHECK_FALSE(ese::log_generation_from_name("edb.log").has_value());
  CHECK_FALSE(ese::log_generation_from_name("edb0000G.log").has_value());
  CHECK_FALSE(ese::log_generation_from_name("edb000001.log").has_value());
  CHECK_FALSE(ese::log_generation_from_name("res1.log").has_value());
  CHECK(ese::log_name_for_generation(10) == "edb0000A.log");
  CHECK(ese::log_name_for_generation(0x100000) == "edb00100000.log");
  for (uint32_t generation : {1u, 0xFFFFFu, 0x100000u, 0xFFFFFFFFu}) {
    CHECK(ese::log_generation_from_name(ese::log_name_for_generation(generation)) == generation);
  }
}

TEST_CASE("choose_chunking: a database is cut on its pages, a log in fixed blocks, every other file content-defined") {
  using certvault::chunker::Chunking;
  auto database = header_of_type(ese::FileType::kDatabase);
  put_u32(database, ese::kPageSizeOffset, 16384);
  CHECK(choose_chunking("database", database) == Chunking::page_aligned(16384));
  // A folder backup does not know roles: any file may be a copied database.
  CHECK(choose_chunking("file", database) == Chunking::page_aligned(16384));
  // Only the head counts: what follows it does not change the choice.
  CHECK(choose_chunking("file", std::span(database).first(kChunkingHeadBytes)) == Chunking::page_aligned(16384));
  CHECK(choose_chunking("log", database) == Chunking::fixed_blocks(certvault::kLogBlockBytes));
  for (const char* role : {"checkpoint", "patch", "dynamic"}) {
    INFO(role);
    CHECK(choose_chunking(role, database) == Chunking::content_defined());
  }
  // A head too short to hold the header, another file type, a page size that is no power of two.
  CHECK(choose_chunking("database", std::span(database).first(kChunkingHeadBytes - 1)) == Chunking::content_defined());
  // A folder backup's log is recognised by its header.
  CHECK(choose_chunking("file", header_of_type(ese::FileType::kLog)) ==
        Chunking::fixed_blocks(certvault::kLogBlockBytes));
  CHECK(choose_chunking("file", header_of_type(ese::FileType::kCheckpoint)) == Chunking::content_defined());
  put_u32(database, ese::kPageSizeOffset, 5000);
  CHECK(choose_chunking("database", database) == Chunking::content_defined());
}
