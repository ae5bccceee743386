// The simulated CA's database header page as tests see it, written independently of the sim's and
// certvault's own code: ESE's header checksum, and the format older sims wrote (XXH32 at 0, sim
// area at 1024), to build the "database an older sim created" a test needs (docs/sim.md).
#pragma once

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace certvault_test {

inline constexpr size_t kSimPageSize = 8192;

inline uint32_t load_le32(const std::vector<uint8_t>& bytes, size_t at) {
  return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | static_cast<uint32_t>(bytes[at + 3]) << 24;
}

inline void store_le32(std::vector<uint8_t>& bytes, size_t at, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// ESE's header checksum: seed 0x89ABCDEF, XOR of every little-endian u32 after the first.
inline uint32_t ese_xor_checksum(const std::vector<uint8_t>& page, size_t size) {
  uint32_t checksum = 0x89ABCDEF;
  for (size_t at = 4; at + 4 <= size; at += 4) checksum ^= load_le32(page, at);
  return checksum;
}

// The first `size` bytes of a file.
inline std::vector<uint8_t> read_prefix(const std::filesystem::path& path, size_t size) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

// Overwrites `bytes` at `offset` of an existing file.
inline void overwrite_at(const std::filesystem::path& path, uint64_t offset, const std::vector<uint8_t>& bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Rewrites the header page (and its shadow) of a sim database as a sim before issue 15 wrote it:
// no format revision at 232, the sim area ("CASIMDB1", then the u64 seed) at 1024 instead of 600,
// and XXH32 (seed 0) of bytes 4..8191 at 0.
inline void make_legacy_sim_header(const std::filesystem::path& database) {
  auto page = read_prefix(database, kSimPageSize);
  std::vector<uint8_t> seed(page.begin() + 608, page.begin() + 616);
  std::fill(page.begin() + 600, page.begin() + 616, uint8_t{0});
  store_le32(page, 232, 0);
  std::memcpy(page.data() + 1024, "CASIMDB1", 8);
  std::copy(seed.begin(), seed.end(), page.begin() + 1032);
  store_le32(page, 0, XXH32(page.data() + 4, kSimPageSize - 4, 0));
  overwrite_at(database, 0, page);
  overwrite_at(database, kSimPageSize, page);
}

}  // namespace certvault_test
