// The key material of an encrypted repository (docs/format.md §8) and the libsodium calls on it.
//
// Contract: require_sodium() initialises libsodium once (thread-safe), throwing Error(kFailure) if
// it cannot. A MasterKey holds the random master key and the subkeys derived from it (one per
// purpose, crypto_kdf_derive_from_key); its bytes are wiped when it is destroyed.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto_format.h"

namespace certvault::crypto {

using Key = std::array<uint8_t, crypto_format::kKeySize>;

void require_sodium();

struct MasterKey {
  Key master{};
  Key sealing{};              // objects (§8.3)
  Key config_secrets{};       // the config's secrets (§8.4)
  Key config_mac{};           // the config's plaintext part (§8.4)
  std::string repository_id;  // 32 hex digits: bound into every sealed block and key slot
  std::array<uint8_t, 16> repository_id_bytes{};
  ~MasterKey();
};

// A fresh random master key, or the subkeys of a known one, for `repository_id`.
std::shared_ptr<const MasterKey> new_master_key(const std::string& repository_id);
std::shared_ptr<const MasterKey> derive_master_key(const Key& master, const std::string& repository_id);

// XChaCha20-Poly1305-IETF (combined: ciphertext then the 16-byte tag).
std::vector<uint8_t> seal(std::span<const uint8_t> plain, std::span<const uint8_t> ad, std::span<const uint8_t> nonce,
                          const Key& key);
// False when the tag does not verify (wrong key, or the bytes or AD changed).
bool open(std::span<const uint8_t> sealed, std::span<const uint8_t> ad, std::span<const uint8_t> nonce, const Key& key,
          std::span<uint8_t> plain_out);

// Keyed BLAKE2b-256, and unkeyed BLAKE2b of `size` bytes.
std::array<uint8_t, 32> mac(std::span<const uint8_t> message, const Key& key);
std::vector<uint8_t> digest(std::span<const uint8_t> message, size_t size);

inline std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}
inline constexpr uint8_t kZeroByte[1] = {0};  // ends a label in associated data

// The bytes of `parts`, one after another. Built with one allocation and memcpy, not
// vector::insert: GCC 12 at -O3 reports a false -Wstringop-overflow for inserts into a small
// vector (docs/development.md).
std::vector<uint8_t> concat(std::initializer_list<std::span<const uint8_t>> parts);

}  // namespace certvault::crypto
