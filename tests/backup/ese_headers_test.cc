#include "certvault/operations/ese_headers.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "certvault/base/error.h"
#include "certvault/operations/file_chunking.h"

using namespace certvault;

namespace {
void put_u32(std::vector<uint8_t>& bytes, size_t offset, uint32_t value) {
  // The bound, stated, also keeps GCC's -O3 -Wstringop-overflow from guessing the vector empty.
  if (offset > bytes.size() || bytes.size() - offset < 4) throw std::out_of_range("put_u32 past the end");
  for (size_t i = 0; i < 4; ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
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

namespace {
// A database header page of `page_size` bytes (then `extra` bytes of the next page) with ESE's
// checksum at 0, computed here independently of ese::header_checksum().
std::vector<uint8_t> checksummed_page(uint32_t page_size, size_t extra = 0) {
  auto bytes = header_of_type(ese::FileType::kDatabase);
  bytes.resize(page_size + extra, 0);
  put_u32(bytes, ese::kFormatVersionOffset, 0x620);
  put_u32(bytes, ese::kPageSizeOffset, page_size);
  put_u32(bytes, 1000, 0xA5A5A5A5);  // beyond the 668-byte header: covered too
  for (size_t i = page_size; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  uint32_t checksum = 0x89ABCDEF;
  for (size_t at = 4; at < page_size; at += 4) {
    checksum ^= bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | static_cast<uint32_t>(bytes[at + 3]) << 24;
  }
  put_u32(bytes, 0, checksum);
  return bytes;
}
}  // namespace

TEST_CASE("ESE's header checksum: seed 0x89ABCDEF XOR every u32 after the checksum field") {
  std::vector<uint8_t> page(8192, 0);
  CHECK(ese::header_checksum(page) == 0x89ABCDEFu);
  put_u32(page, 0, 0x12345678);  // the checksum field itself is not covered
  CHECK(ese::header_checksum(page) == 0x89ABCDEFu);
  put_u32(page, 4, 0x89ABCDEF);  // the magic cancels the seed
  CHECK(ese::header_checksum(page) == 0u);
  put_u32(page, 8188, 0x00000001);  // the last word of the page counts
  CHECK(ese::header_checksum(page) == 1u);
  const auto sample = checksummed_page(8192);
  CHECK(ese::header_checksum(sample) ==
        (sample[0] | sample[1] << 8 | sample[2] << 16 | static_cast<uint32_t>(sample[3]) << 24));
}

TEST_CASE("a database header page verifies as ESE reads it, for every page size") {
  for (const uint32_t page_size : {4096u, 8192u, 16384u, 32768u}) {
    INFO("page size " << page_size);
    // The bytes after the header page (the shadow, data pages) are not part of the checksum.
    const auto page = checksummed_page(page_size, 3000);
    CHECK(ese::verify_database_header_page(page, "ca.edb").page_size == page_size);
    auto flipped = page;
    flipped[page_size - 1] ^= 0x01;
    CHECK_THROWS_WITH(ese::verify_database_header_page(flipped, "C:\\CertLog\\ca.edb"),
                      Catch::Contains("ESE database header of C:\\CertLog\\ca.edb: checksum at offset 0 is 0x") &&
                          Catch::Contains(fmt::format("header page (bytes 4-{})", page_size - 1)));
    auto beyond = page;
    beyond[page_size + 10] ^= 0x01;
    CHECK_NOTHROW(ese::verify_database_header_page(beyond, "ca.edb"));
  }
}

TEST_CASE("a torn or damaged database header is named, with the file, the offset and the values") {
  const auto page = checksummed_page(8192);
  auto fails_with = [](std::vector<uint8_t> bytes, const std::string& text) {
    try {
      (void)ese::verify_database_header_page(bytes, "ca.edb");
      FAIL("accepted a header that should fail with: " << text);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kIntegrity);
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("ESE database header of ca.edb: ") && Catch::Contains(text));
    }
  };
  fails_with(std::vector<uint8_t>(page.begin(), page.begin() + 100), "the file is only 100 bytes, shorter than");
  fails_with(std::vector<uint8_t>(page.begin(), page.begin() + 4096),
             "the file is only 4096 bytes, but its header page is 8192 bytes (page size at offset 236)");
  fails_with(std::vector<uint8_t>(8192, 0), "bytes 0-667 are all zero");
  auto magic = page;
  put_u32(magic, ese::kMagicOffset, 0x12345678);
  fails_with(magic, "magic at offset 4 is 0x12345678");
  auto stored = page;
  stored[0] ^= 0xFF;
  fails_with(stored, "checksum at offset 0 is 0x");
  CHECK(ese::has_database_signature(page));
  CHECK_FALSE(ese::has_database_signature(magic));
  CHECK_FALSE(ese::has_database_signature(std::vector<uint8_t>(page.begin(), page.begin() + 600)));
}
