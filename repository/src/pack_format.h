// The byte layout of a pack file: docs/format.md §5.2 ("Pack files") is the
// reference and §5.3 says how a reader validates it. Every constant below is
// part of the on-disk format: changing one is a new format version.
//
//   pack header   16 bytes                 magic "CVPK", u16 version, u16 flags, u64 reserved
//   entry         48 + envelope + stored   entry header, envelope (0 bytes in versions 1 and 2), stored bytes
//   ...           (entries back to back from offset 16)
//   index         40 bytes per entry       one record per entry, in entry order
//   footer        32 bytes                 u64 index_offset, u32 entry_count, u32 version,
//                                          u64 index_xxh64, magic "CVPKEND\0"
//
// All integers are little-endian; XXH64 always uses seed 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace certvault::pack {

// In the pack header (u16) and the footer (u32). Version 2 (repository format 2) names each
// entry's zstd dictionary in the field version 1 reserves (kEntryDictionaryAt, kRecordDictionaryAt);
// a repository of format 1 keeps writing version-1 packs, and readers accept both.
inline constexpr uint32_t kVersion1 = 1;
inline constexpr uint32_t kVersion2 = 2;
inline constexpr uint32_t kNewestVersion = kVersion2;
inline constexpr size_t kChunkIdSize = 16;

// Pack header, at offset 0.
inline constexpr size_t kHeaderSize = 16;
inline constexpr char kPackMagic[4] = {'C', 'V', 'P', 'K'};  // at 0
inline constexpr size_t kHeaderVersionAt = 4;                // u16
inline constexpr size_t kHeaderFlagsAt = 6;                  // u16, 0
inline constexpr size_t kHeaderReservedAt = 8;               // u64, 0

// Entry header, before each entry's envelope and stored bytes.
inline constexpr size_t kEntryHeaderSize = 48;
inline constexpr char kEntryMagic[4] = {'C', 'V', 'C', 'E'};  // at 0
inline constexpr size_t kEntryFlagsAt = 4;                    // u16, the entry flags below
inline constexpr size_t kEntryEnvelopeSizeAt = 6;             // u16: bytes between header and stored data
inline constexpr size_t kEntryChunkIdAt = 8;                  // kChunkIdSize bytes: keyed XXH3-128 of the raw chunk
inline constexpr size_t kEntryRawSizeAt = 24;                 // u32: size after decompression
inline constexpr size_t kEntryStoredSizeAt = 28;              // u32: size of the stored bytes
inline constexpr size_t kEntryStoredXxh64At = 32;             // u64: XXH64 of the stored bytes
inline constexpr size_t kEntryHeaderCheckAt = 40;             // u32: low 32 bits of XXH64 of bytes [0, 40)
inline constexpr size_t kEntryReservedAt = 44;                // u32: version 1: reserved, 0
inline constexpr size_t kEntryDictionaryAt = 44;              // u32: version 2: dictionary id (0: none)

// Entry flags (u16).
inline constexpr uint16_t kFlagCompressed = 1u << 0;  // the stored bytes are one zstd frame
inline constexpr uint16_t kFlagEncrypted = 1u << 1;   // reserved; must be 0 in version 1
inline constexpr uint16_t kKnownFlags = kFlagCompressed;

// Index record, one per entry, in entry order.
inline constexpr size_t kIndexRecordSize = 40;
inline constexpr size_t kRecordChunkIdAt = 0;        // kChunkIdSize bytes
inline constexpr size_t kRecordOffsetAt = 16;        // u64: of the entry header in the pack
inline constexpr size_t kRecordRawSizeAt = 24;       // u32
inline constexpr size_t kRecordStoredSizeAt = 28;    // u32
inline constexpr size_t kRecordFlagsAt = 32;         // u16
inline constexpr size_t kRecordEnvelopeSizeAt = 34;  // u16
inline constexpr size_t kRecordReservedAt = 36;      // u32: version 1: reserved, 0
inline constexpr size_t kRecordDictionaryAt = 36;    // u32: version 2: dictionary id (0: none)

// Footer, the last kFooterSize bytes of the pack.
inline constexpr size_t kFooterSize = 32;
inline constexpr size_t kFooterIndexOffsetAt = 0;  // u64: where the index starts
inline constexpr size_t kFooterEntryCountAt = 8;   // u32
inline constexpr size_t kFooterVersionAt = 12;     // u32, kVersion1 or kVersion2
inline constexpr size_t kFooterIndexXxh64At = 16;  // u64: XXH64 of the index bytes
inline constexpr size_t kFooterMagicAt = 24;
inline constexpr char kFooterMagic[8] = {'C', 'V', 'P', 'K', 'E', 'N', 'D', '\0'};

}  // namespace certvault::pack
