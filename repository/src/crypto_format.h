// Encrypted repositories (format 3): docs/format.md §8 ("Encryption"). Part of the on-disk
// format: changing a constant is a new format version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace certvault::crypto_format {

// §8.1 Key derivation: crypto_kdf_derive_from_key(subkey, 32, id, kKdfContext, master key).
inline constexpr std::string_view kKdfContext = "cvault03";  // exactly crypto_kdf_CONTEXTBYTES (8)
inline constexpr uint64_t kSubkeyObjectSealing = 1;
inline constexpr uint64_t kSubkeyConfigSecrets = 2;
inline constexpr uint64_t kSubkeyConfigMac = 3;
inline constexpr size_t kKeySize = 32;

// §8.2 Key slots `keys/<16 hex>`: 152 bytes.
inline constexpr std::string_view kSlotPrefix = "keys/";
inline constexpr size_t kSlotIdDigits = 16;
inline constexpr std::string_view kSlotMagic = "CVKEYSLT";
inline constexpr uint32_t kSlotVersion = 1;
inline constexpr uint32_t kSlotKindPassphrase = 1;
inline constexpr uint32_t kSlotKindKeyFile = 2;
inline constexpr size_t kSlotMagicAt = 0;
inline constexpr size_t kSlotVersionAt = 8;     // u32
inline constexpr size_t kSlotKindAt = 12;       // u32
inline constexpr size_t kSlotAlgorithmAt = 16;  // u32: crypto_pwhash_ALG_ARGON2ID13 (2), 0 for a key file
inline constexpr size_t kSlotReservedAt = 20;   // u32, 0
inline constexpr size_t kSlotOpslimitAt = 24;   // u64
inline constexpr size_t kSlotMemlimitAt = 32;   // u64, bytes
inline constexpr size_t kSlotCreatedAt = 40;    // i64 unix seconds
inline constexpr size_t kSlotSaltAt = 48;       // 16 bytes
inline constexpr size_t kSlotNonceAt = 64;      // 24 bytes
inline constexpr size_t kSlotWrappedAt = 88;    // 32 + 16 bytes: the master key sealed, and its tag
inline constexpr size_t kSlotChecksumAt = 136;  // 16 bytes: BLAKE2b-128 of bytes 0..135 (damage, not trust)
inline constexpr size_t kSlotSize = 152;
inline constexpr size_t kSlotAuthenticatedHeader = 64;  // bytes 0..63 are part of the wrapping's AD
inline constexpr std::string_view kSlotLabel = "certvault key slot v1";
inline constexpr std::string_view kKeyFileLabel = "certvault key file v1";
// A key file sealed with Windows DPAPI for one account: this line, then the DPAPI blob of the 32
// key bytes in hex (user guide, "Windows, scheduled tasks as SYSTEM").
inline constexpr std::string_view kDpapiKeyFileHeader = "certvault DPAPI key file v1";
inline constexpr std::string_view kDpapiKeyFilePurpose = "certvault repository key file";

// §8.3 Sealed objects.
inline constexpr std::string_view kSealedMagic = "CVSEALED";
inline constexpr uint32_t kSealedVersion = 1;
inline constexpr size_t kSealedHeaderSize = 32;  // magic, u32 version, u32 block size, 16-byte nonce prefix
inline constexpr size_t kSealedVersionAt = 8;
inline constexpr size_t kSealedBlockSizeAt = 12;
inline constexpr size_t kSealedNonceAt = 16;
inline constexpr size_t kSealedNoncePrefixSize = 16;
inline constexpr uint32_t kSealedBlockSize = 64 * 1024;
inline constexpr size_t kTagSize = 16;
inline constexpr std::string_view kSealedLabel = "certvault sealed object v1";

// Object kinds bound into a sealed block's associated data.
inline constexpr uint8_t kKindPack = 1;
inline constexpr uint8_t kKindRecipe = 2;
inline constexpr uint8_t kKindManifest = 3;
inline constexpr uint8_t kKindDictionary = 4;
inline constexpr uint8_t kKindTruncation = 5;
inline constexpr uint8_t kKindOther = 15;

// §8.4 The config of an encrypted repository.
inline constexpr std::string_view kSecretsLabel = "certvault config secrets v1";
inline constexpr std::string_view kCatalogDigestLabel = "certvault catalog digest v1";
inline constexpr std::string_view kEncryptionName = "xchacha20poly1305-ietf";

}  // namespace certvault::crypto_format
