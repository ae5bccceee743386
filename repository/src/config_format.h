// The repository's `config` object: docs/format.md §2 ("config"). UTF-8 text:
// the first line is kFirstLine, then `key = value` lines; lines starting with
// '#' are comments. The format version it holds is kRepositoryFormatVersion
// (certvault/repository/repository.h). Part of the on-disk format: never rename
// a key.
#pragma once

#include <cstddef>
#include <string_view>

namespace certvault::config_format {

inline constexpr const char* kObjectName = "config";
inline constexpr std::string_view kFirstLine = "certvault repository";
inline constexpr std::string_view kSeparator = " = ";
inline constexpr char kCommentStart = '#';

inline constexpr const char* kFormatVersion = "format-version";
inline constexpr const char* kRepositoryId = "repository-id";  // 32 lower-case hex digits
inline constexpr const char* kCreatedUnix = "created-unix";
inline constexpr const char* kChunkMin = "chunk-min";
inline constexpr const char* kChunkAvg = "chunk-avg";
inline constexpr const char* kChunkMax = "chunk-max";
inline constexpr const char* kZstdLevel = "zstd-level";
inline constexpr const char* kPackTargetBytes = "pack-target-bytes";
inline constexpr const char* kChunkerKey = "chunker-key";         // 64 hex digits
inline constexpr const char* kChunkIdSecret = "chunk-id-secret";  // 384 hex digits
// Format 3 (§8.4) instead of chunker-key and chunk-id-secret: the AEAD's name, the secrets
// sealed under the master key (hex of nonce, ciphertext, tag), and a keyed BLAKE2b-256 (hex) of
// every byte before the config-mac line.
inline constexpr const char* kEncryption = "encryption";
inline constexpr const char* kSecrets = "secrets";
inline constexpr const char* kConfigMac = "config-mac";
inline constexpr size_t kConfigMacDigits = 64;
// The last line: XXH64 (seed 0) of every byte of the file before that line, as
// 16 lower-case hex digits. A config without it was written before it existed
// (read as before: docs/format.md §2.1).
inline constexpr const char* kConfigXxh64 = "config-xxh64";
inline constexpr size_t kConfigXxh64Digits = 16;
// The catalog's settings copy records whether the config had that line
// ("xxh64") or not ("none"), so that a removed line is noticed.
inline constexpr const char* kConfigChecksumSetting = "config-checksum";

}  // namespace certvault::config_format
