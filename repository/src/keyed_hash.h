// Keyed XXH3-128: chunk ids and whole-file digests.
//
// Both use the repository's random 192-byte secret, so equal content has equal
// ids inside one repository and unrelated ids across repositories.
#pragma once

#ifdef CERTVAULT_XXH3_DISPATCH
// Debian's libxxhash chooses AVX-512, AVX2 or SSE2 at run time; code inlined here would be compiled
// for the x86-64 baseline (SSE2) and hash at about half the speed. The hashes are the same bytes
// either way: XXH3's output does not depend on the instructions that compute it.
#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack; header and library come from one package
#include <xxh_x86dispatch.h>
#else
#define XXH_INLINE_ALL
#include <xxhash.h>
#endif

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

namespace certvault {

using Hash128 = std::array<uint8_t, 16>;

// Big-endian high then low 64 bits: the canonical XXH128 byte order.
inline Hash128 to_bytes(XXH128_hash_t hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  Hash128 bytes;
  std::memcpy(bytes.data(), canonical.digest, bytes.size());
  return bytes;
}

inline Hash128 keyed_hash128(std::span<const uint8_t> data, std::span<const uint8_t> secret) {
  return to_bytes(XXH3_128bits_withSecret(data.data(), data.size(), secret.data(), secret.size()));
}

class StreamingDigest {
 public:
  explicit StreamingDigest(std::span<const uint8_t> secret) : secret_(secret) { reset(); }
  void reset() { XXH3_128bits_reset_withSecret(&state_, secret_.data(), secret_.size()); }
  void update(std::span<const uint8_t> data) { XXH3_128bits_update(&state_, data.data(), data.size()); }
  Hash128 digest() const { return to_bytes(XXH3_128bits_digest(&state_)); }

 private:
  std::span<const uint8_t> secret_;
  XXH3_state_t state_;
};

// XXH64 (seed 0, not keyed) of bytes that arrive in pieces: a framed object's body checksum
// (framed_format.h) computed as the body streams past.
class StreamingChecksum {
 public:
  StreamingChecksum() { XXH64_reset(&state_, 0); }
  void update(std::span<const uint8_t> data) { XXH64_update(&state_, data.data(), data.size()); }
  uint64_t digest() const { return XXH64_digest(&state_); }

 private:
  XXH64_state_t state_;
};

struct Hash128Hasher {
  size_t operator()(const Hash128& id) const noexcept {
    uint64_t value;
    std::memcpy(&value, id.data() + 8, sizeof(value));
    return static_cast<size_t>(value);
  }
};

}  // namespace certvault
