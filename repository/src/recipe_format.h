// Recipe objects and the recipe encoding: docs/format.md §4.1 ("Recipe
// object"). Part of the on-disk format: changing a constant is a new format
// version.
//
// Object body (inside the §4 frame, magic "CVRECIPE"):
//   0   u64  logical size of the file
//   8   u64  number of chunks
//   16  the encoded recipe:
//         u8 kind            kKindFull or kKindDelta
//         full:  varint n, then n chunk ids
//         delta: base recipe id, varint op_count, then ops:
//                  varint kOpCopy, varint base_start, varint length   ids [start, start+length) of the base
//                  varint kOpNew, varint n, n chunk ids               new ids
// varint is unsigned LEB128; a chunk or recipe id is 16 bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace certvault::recipe {

inline constexpr uint32_t kObjectVersion = 1;  // in the frame's version field

inline constexpr size_t kLogicalSizeAt = 0;  // u64
inline constexpr size_t kChunkCountAt = 8;   // u64
inline constexpr size_t kEncodedRecipeAt = 16;

inline constexpr uint8_t kKindFull = 0;
inline constexpr uint8_t kKindDelta = 1;
inline constexpr uint64_t kOpCopy = 0;
inline constexpr uint64_t kOpNew = 1;
inline constexpr size_t kIdSize = 16;

// A delta's chain of bases is at most this deep; a reader refuses a deeper one.
inline constexpr uint32_t kMaxDeltaDepth = 32;

// A full recipe of at least this many ids (a 512 MiB database of 8 KiB pages) is kept in its
// object only: its catalog row's body is empty (docs/format.md §6, schema 5, whose migration
// names the same number), and the writer spools its list to a temporary file instead of memory
// (id_spool.h). See recipe_store.h.
inline constexpr uint64_t kObjectOnlyFromIds = uint64_t{1} << 16;

}  // namespace certvault::recipe
