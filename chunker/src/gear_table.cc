#include <xxhash.h>

#include <cstring>
#include <string_view>

#include "certvault/chunker/chunker.h"

namespace certvault::chunker {

// Part of the repository format: changing any byte here changes every cut of every repository.
// docs/chunker.md describes this derivation for other implementations.
GearTable derive_gear_table(const Key& key) {
  constexpr std::string_view kDomain = "certvault-chunker-gear-v1";
  std::array<uint8_t, kDomain.size() + sizeof(Key) + 1> message{};
  std::memcpy(message.data(), kDomain.data(), kDomain.size());
  std::memcpy(message.data() + kDomain.size(), key.data(), key.size());
  GearTable table{};
  for (size_t index = 0; index < table.size(); ++index) {
    message.back() = static_cast<uint8_t>(index);
    table[index] = XXH3_64bits(message.data(), message.size());
  }
  return table;
}

}  // namespace certvault::chunker
