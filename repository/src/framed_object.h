// The envelope of small repository objects (recipes, snapshot manifests):
// wrapping a body and checking one. The layout: framed_format.h
// (docs/format.md §4).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framed_format.h"

namespace certvault::framed {

std::vector<uint8_t> wrap(std::string_view magic, uint32_t version, std::span<const uint8_t> body);
// The same for a body given as consecutive parts (no copy of the whole body first).
std::vector<uint8_t> wrap(std::string_view magic, uint32_t version,
                          std::initializer_list<std::span<const uint8_t>> body_parts);
// Verifies magic, version (<= max_version), length and checksum; throws
// Error(kIntegrity) naming `what`. Returns the body.
std::span<const uint8_t> unwrap(std::span<const uint8_t> object, std::string_view magic, uint32_t max_version,
                                const std::string& what);

}  // namespace certvault::framed
