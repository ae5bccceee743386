#include "chunk_verify.h"

#include <fmt/format.h>

#include <algorithm>

#include "certvault/base/error.h"
#include "keyed_hash.h"

namespace certvault::chunk_verify {

void decode_entry(std::span<const uint8_t> entry_bytes, const std::string& pack_name, const pack::EntryInfo& expected,
                  std::span<const uint8_t> secret, DecompressionContext& decompression, std::span<uint8_t> raw) {
  std::span<const uint8_t> stored;
  try {
    stored = pack::verify_entry(entry_bytes, pack_name, expected);
  } catch (const Error& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("unreadable: {}", e.what()));
  }
  if (raw.size() != expected.raw_size) {
    throw Error(ErrorKind::kIntegrity, fmt::format("in pack {}: {} output bytes given for a {}-byte chunk", pack_name,
                                                   raw.size(), expected.raw_size));
  }
  if ((expected.flags & pack::kFlagCompressed) != 0) {
    size_t n = 0;
    if (expected.dictionary != 0) {
      if (decompression.dictionaries == nullptr) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("in pack {} needs dictionary {:08x}, which this reader has not got", pack_name,
                                expected.dictionary));
      }
      const ZSTD_DDict* dictionary = decompression.dictionaries->get(expected.dictionary);
      n = ZSTD_decompress_usingDDict(decompression.context, raw.data(), raw.size(), stored.data(), stored.size(),
                                     dictionary);
    } else {
      n = ZSTD_decompressDCtx(decompression.context, raw.data(), raw.size(), stored.data(), stored.size());
    }
    if (ZSTD_isError(n) || n != expected.raw_size) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("in pack {} does not decompress to {} bytes: {}", pack_name, expected.raw_size,
                              ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size"));
    }
  } else {
    // The index parser checks this for every record, but `expected` may come
    // from the catalog, which is only a cache: never copy past `raw`.
    if (stored.size() != expected.raw_size) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("in pack {} is stored uncompressed in {} bytes but its raw size is {}", pack_name,
                              stored.size(), expected.raw_size));
    }
    std::copy(stored.begin(), stored.end(), raw.begin());
  }
  if (keyed_hash128(raw, secret) != expected.id) {
    throw Error(ErrorKind::kIntegrity, fmt::format("in pack {} has content that does not match its id", pack_name));
  }
}

}  // namespace certvault::chunk_verify
