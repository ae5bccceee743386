// The plain (unkeyed) XXH3-128 of exported bytes, in hex as `xxhsum -H2` prints it: what an
// export's MANIFEST lists, so an administrator can check a copy with a stock tool.
#pragma once

#ifdef CERTVAULT_XXH3_DISPATCH
#define XXH_STATIC_LINKING_ONLY
#include <xxh_x86dispatch.h>  // run-time AVX-512/AVX2/SSE2 choice, as in repository/src/keyed_hash.h
#else
#define XXH_INLINE_ALL
#include <xxhash.h>
#endif

#include <cstdint>
#include <span>
#include <string>

#include "certvault/base/hex.h"

namespace certvault {

class PlainDigest {
 public:
  PlainDigest() { XXH3_128bits_reset(&state_); }
  void update(std::span<const uint8_t> bytes) { XXH3_128bits_update(&state_, bytes.data(), bytes.size()); }
  std::string hex() const { return canonical_hex(XXH3_128bits_digest(&state_)); }

  static std::string of(std::span<const uint8_t> bytes) {
    return canonical_hex(XXH3_128bits(bytes.data(), bytes.size()));
  }

 private:
  // Big-endian high then low 64 bits: XXH128's canonical byte order.
  static std::string canonical_hex(XXH128_hash_t hash) {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, hash);
    return to_hex(std::span<const uint8_t>(canonical.digest, sizeof(canonical.digest)));
  }
  XXH3_state_t state_;
};

}  // namespace certvault
