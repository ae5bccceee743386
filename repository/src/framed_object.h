// The envelope of small repository objects (recipes, snapshot manifests).
//
//   0  8 bytes  magic ("CVRECIPE", "CVSNAPSH")
//   8  u32      version
//  12  u32      body length
//  16  u64      XXH64(seed 0) of the body
//  24  body
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certvault::framed {

inline constexpr size_t kHeaderSize = 24;
inline constexpr std::string_view kRecipeMagic = "CVRECIPE";
inline constexpr std::string_view kManifestMagic = "CVSNAPSH";

std::vector<uint8_t> wrap(std::string_view magic, uint32_t version, std::span<const uint8_t> body);
// Verifies magic, version (<= max_version), length and checksum; throws
// Error(kIntegrity) naming `what`. Returns the body.
std::span<const uint8_t> unwrap(std::span<const uint8_t> object, std::string_view magic, uint32_t max_version,
                                const std::string& what);

}  // namespace certvault::framed
