// The envelope of recipe and snapshot manifest objects: docs/format.md §4
// ("Framed objects"). Part of the on-disk format: changing a constant is a new
// format version.
//
//   0  8 bytes  magic (kRecipeMagic, kManifestMagic)
//   8  u32      version of the object kind (recipe_format.h, manifest.h)
//  12  u32      body length in bytes
//  16  u64      XXH64 (seed 0) of the body
//  24  body
#pragma once

#include <cstddef>
#include <string_view>

namespace certvault::framed {

inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kMagicAt = 0;
inline constexpr size_t kMagicSize = 8;
inline constexpr size_t kVersionAt = 8;      // u32
inline constexpr size_t kBodyLengthAt = 12;  // u32
inline constexpr size_t kBodyXxh64At = 16;   // u64

inline constexpr std::string_view kRecipeMagic = "CVRECIPE";      // §4.1
inline constexpr std::string_view kManifestMagic = "CVSNAPSH";    // §4.2
inline constexpr std::string_view kTruncationMagic = "CVTRUNCT";  // §4.3
inline constexpr std::string_view kDictionaryMagic = "CVZSDICT";  // §4.4
inline constexpr std::string_view kOutcomeMagic = "CVOUTCOM";     // §4.5
static_assert(kRecipeMagic.size() == kMagicSize && kManifestMagic.size() == kMagicSize &&
              kTruncationMagic.size() == kMagicSize && kDictionaryMagic.size() == kMagicSize &&
              kOutcomeMagic.size() == kMagicSize);

}  // namespace certvault::framed
