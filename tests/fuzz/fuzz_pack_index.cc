#include <xxhash.h>

#include <cstring>
#include <span>

#include "certvault/repository/object_store.h"
#include "fuzz_target.h"
#include "pack.h"

namespace {
// A well-formed index+footer of two back-to-back entries: mutations of the
// footer then reach every check after the checksum.
std::vector<uint8_t> valid_tail() {
  namespace pack = certvault::pack;
  std::vector<uint8_t> tail(2 * pack::kIndexRecordSize + pack::kFooterSize, 0);
  const auto put = [&](size_t at, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i) tail[at + i] = static_cast<uint8_t>(value >> (8 * i));
  };
  const uint64_t first = pack::kHeaderSize;
  const uint64_t second = first + pack::kEntryHeaderSize + 100;
  const uint64_t index_offset = second + pack::kEntryHeaderSize + 50;
  put(16, first, 8);
  put(24, 300, 4);
  put(28, 100, 4);
  put(32, pack::kFlagCompressed, 2);
  put(pack::kIndexRecordSize + 16, second, 8);
  put(pack::kIndexRecordSize + 24, 50, 4);
  put(pack::kIndexRecordSize + 28, 50, 4);
  const size_t footer = 2 * pack::kIndexRecordSize;
  put(footer, index_offset, 8);
  put(footer + 8, 2, 4);
  put(footer + 12, pack::kVersion1, 4);
  std::memcpy(&tail[footer + 24], "CVPKEND", 8);
  put(footer + 16, XXH64(tail.data(), footer, 0), 8);
  return tail;
}

std::vector<std::vector<uint8_t>> pack_index_seeds() {
  auto empty = std::vector<uint8_t>(certvault::pack::kFooterSize, 0);
  empty[0] = static_cast<uint8_t>(certvault::pack::kHeaderSize);
  empty[12] = 1;
  std::memcpy(&empty[24], "CVPKEND", 8);
  const uint64_t empty_index_xxh64 = XXH64(nullptr, 0, 0);
  for (size_t i = 0; i < 8; ++i) empty[16 + i] = static_cast<uint8_t>(empty_index_xxh64 >> (8 * i));
  return {valid_tail(), empty, std::vector<uint8_t>(7, 0xff)};
}

// The tail is parsed as the end of packs of several claimed sizes: exactly
// the seeds' body (16-byte header + entries), no body, a huge one, and the
// body the footer itself claims (index_offset), which is how a tail cut from
// a real pack (the committed corpus) parses completely.
void parse_pack_index(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> tail(data, size);
  const uint64_t huge_body = size >= 1 ? uint64_t{data[0]} << 56 : 0;
  uint64_t footer_body = 0;
  if (size >= certvault::pack::kFooterSize) {
    for (size_t i = 8; i-- > 0;) footer_body = (footer_body << 8) | data[size - certvault::pack::kFooterSize + i];
    // The tail starts at index_offset, so the pack is index_offset + tail bytes long.
  }
  for (uint64_t body : {uint64_t{262}, uint64_t{16}, uint64_t{0}, huge_body, footer_body}) {
    try {
      (void)certvault::pack::parse_index(tail, body + size, "fuzz.pack");
    } catch (const std::exception&) {
    }
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(pack_index, pack_index_seeds, parse_pack_index);
