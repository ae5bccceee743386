// Framed objects (docs/format.md §4) carry an XXH64 of their body, which stops
// nearly every mutation at the frame. Targets parse each input as it is and
// once more re-framed: the bytes after the frame's header wrapped again under
// a correct header, so that mutated bodies reach the parser behind the frame
// (XXH64 detects damage, it is no defence against a deliberate change).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "framed_object.h"

namespace certvault::fuzz {

inline std::vector<uint8_t> reframed(std::string_view magic, uint32_t version, std::span<const uint8_t> input) {
  const auto body = input.size() > framed::kHeaderSize ? input.subspan(framed::kHeaderSize) : input.first(0);
  return framed::wrap(magic, version, body);
}

}  // namespace certvault::fuzz
