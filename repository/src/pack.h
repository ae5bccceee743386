// Pack files: many compressed chunks in one immutable object.
//
// Byte layout (all integers little-endian; docs/format.md is the reference):
//   pack header, 16 bytes:
//     0  "CVPK"            magic
//     4  u16 version       1
//     6  u16 flags         0
//     8  u64 reserved      0
//   entry, repeated: 48-byte entry header, envelope, stored bytes
//     0  "CVCE"            entry magic
//     4  u16 flags         bit 0: zstd-compressed; bit 1: encrypted (reserved, 0 in version 1)
//     6  u16 envelope_size bytes between header and stored data (AEAD nonce/tag later; 0 now)
//     8  16 bytes          chunk id (keyed XXH3-128 of the raw chunk)
//    24  u32 raw_size
//    28  u32 stored_size
//    32  u64 stored_xxh64  XXH64(seed 0) of the stored bytes
//    40  u32 header_check  low 32 bits of XXH64(seed 0) of header bytes 0..39
//    44  u32 reserved      0
//   index, one 40-byte record per entry, in entry order:
//     0  16 bytes chunk id, 16 u64 entry offset, 24 u32 raw_size, 28 u32 stored_size,
//    32  u16 flags, 34 u16 envelope_size, 36 u32 reserved 0
//   footer, 32 bytes, at the very end:
//     0  u64 index_offset, 8 u32 entry_count, 12 u32 version 1,
//    16  u64 index_xxh64   XXH64(seed 0) of the index bytes
//    24  "CVPKEND\0"
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "certvault/repository/object_store.h"

namespace certvault::pack {

inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kEntryHeaderSize = 48;
inline constexpr size_t kIndexRecordSize = 40;
inline constexpr size_t kFooterSize = 32;
inline constexpr uint16_t kFlagCompressed = 1u << 0;
inline constexpr uint16_t kFlagEncrypted = 1u << 1;  // reserved

using ChunkId = std::array<uint8_t, 16>;

struct EntryInfo {
  ChunkId id{};
  uint64_t offset = 0;  // of the entry header
  uint32_t raw_size = 0;
  uint32_t stored_size = 0;
  uint16_t flags = 0;
  uint16_t envelope_size = 0;
};

// Writes one pack object. Not thread-safe: callers serialise add().
class PackWriter {
 public:
  PackWriter(ObjectStore& store, std::string name);
  // `stored` is what goes to disk (compressed or raw, as `flags` says).
  EntryInfo add(const ChunkId& id, uint32_t raw_size, uint16_t flags, std::span<const uint8_t> stored);
  uint64_t size() const;
  size_t entry_count() const { return entries_.size(); }
  const std::string& name() const { return name_; }
  // Appends index and footer, then commits (fsync + rename + folder fsync).
  const std::vector<EntryInfo>& finish();

 private:
  std::string name_;
  std::unique_ptr<ObjectWriter> writer_;
  std::vector<EntryInfo> entries_;
};

// Reads the index of a committed pack from its footer, verifying magic,
// version and checksum. Throws Error(kIntegrity) naming the pack and offset.
std::vector<EntryInfo> read_index(const ObjectStore& store, const std::string& name);

// Reads one entry's stored bytes, verifying the entry header (magic, header
// check, id, sizes against `expected`) and the stored checksum. Throws
// Error(kIntegrity) naming pack, offset and what disagreed.
std::vector<uint8_t> read_stored(const ObjectStore& store, const std::string& name, const EntryInfo& expected);

// Verifies one entry held in memory (`entry` = header, envelope and stored
// bytes, as at `expected.offset` in pack `name`) and returns its stored bytes.
// Same checks and errors as read_stored(); does no I/O.
std::span<const uint8_t> verify_entry(std::span<const uint8_t> entry, const std::string& name,
                                      const EntryInfo& expected);

// Bytes an entry occupies in its pack.
inline uint64_t entry_span(const EntryInfo& entry) {
  return kEntryHeaderSize + uint64_t{entry.envelope_size} + entry.stored_size;
}

// Parses a serialized index+footer (the last bytes of a pack). Exposed for fuzzing.
std::vector<EntryInfo> parse_index(std::span<const uint8_t> tail, uint64_t pack_size, const std::string& name);

// A fresh random pack object name: "packs/<2 hex>/<32 hex>.pack".
std::string new_pack_name();

}  // namespace certvault::pack
