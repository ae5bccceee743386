// Reading one chunk back: entry checks, decompression and the keyed id, in
// one place for export and check.
#pragma once

#include <zstd.h>

#include <span>
#include <string>

#include "dictionary.h"
#include "pack.h"

namespace certvault::chunk_verify {

struct DecompressionContext {
  // `dictionaries`: where entries compressed with a dictionary find it (none: such an entry is an
  // integrity error).
  explicit DecompressionContext(dictionary::DictionaryCache* dictionaries = nullptr)
      : context(ZSTD_createDCtx()), dictionaries(dictionaries) {}
  ~DecompressionContext() { ZSTD_freeDCtx(context); }
  DecompressionContext(const DecompressionContext&) = delete;
  DecompressionContext& operator=(const DecompressionContext&) = delete;
  ZSTD_DCtx* context;
  dictionary::DictionaryCache* dictionaries;
};

// Verifies the entry `entry_bytes` (header, envelope and stored bytes, as at
// `expected.offset` in pack `pack_name`), decompresses it into `raw` (exactly
// expected.raw_size bytes) and checks the keyed id against `secret`. Throws
// Error(kIntegrity) whose message completes "chunk <id> ...": the caller
// prefixes where the chunk was needed.
void decode_entry(std::span<const uint8_t> entry_bytes, const std::string& pack_name, const pack::EntryInfo& expected,
                  std::span<const uint8_t> secret, DecompressionContext& decompression, std::span<uint8_t> raw);

}  // namespace certvault::chunk_verify
