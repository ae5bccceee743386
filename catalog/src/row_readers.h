// Decoding of catalog rows shared by the catalog's source files, so that a
// column order is written down once per record type.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "certvault/catalog/catalog.h"
#include "statement.h"

namespace certvault::catalog {

// A fixed-size blob column; a wrong size means a damaged row, named by `what`.
template <size_t N>
std::array<uint8_t, N> blob_array(const Statement& statement, int column, const char* what) {
  const auto bytes = statement.column_blob(column);
  if (bytes.size() != N) {
    throw CatalogError(ErrorKind::kIntegrity, std::string("catalog: ") + what + " has " + std::to_string(bytes.size()) +
                                                  " bytes, expected " + std::to_string(N));
  }
  std::array<uint8_t, N> out{};
  std::memcpy(out.data(), bytes.data(), N);
  return out;
}

// The columns of a chunk location, from `kChunkRows`: the dictionary's zstd id comes from its
// catalog-local number (schema 4), 0 when the chunk has none.
inline constexpr const char* kLocationColumns =
    "c.pack_id, c.offset, c.stored_size, c.raw_size, c.flags, COALESCE(n.id, 0)";
inline constexpr const char* kChunkRows =
    " FROM chunks c LEFT JOIN dictionary_numbers n ON n.number = c.dictionary_number ";

// Columns first..first+5: kLocationColumns.
inline void read_location_fields(const Statement& statement, int first, ChunkLocation& location) {
  location.pack_id = statement.column_int64(first);
  location.offset = static_cast<uint64_t>(statement.column_int64(first + 1));
  location.stored_size = static_cast<uint32_t>(statement.column_int64(first + 2));
  location.raw_size = static_cast<uint32_t>(statement.column_int64(first + 3));
  location.flags = static_cast<uint16_t>(statement.column_int64(first + 4));
  location.dictionary = static_cast<uint32_t>(statement.column_int64(first + 5));
}

// Columns 0..6: c.id, then kLocationColumns.
inline ChunkLocation read_location(const Statement& statement) {
  ChunkLocation location;
  location.id = blob_array<16>(statement, 0, "chunk id");
  read_location_fields(statement, 1, location);
  return location;
}

// Columns first..first+4: base, depth, chunk_count, logical_size, body.
inline void read_recipe_fields(const Statement& statement, int first, RecipeRecord& record) {
  if (!statement.column_is_null(first)) record.base = blob_array<16>(statement, first, "recipe base");
  record.depth = static_cast<uint32_t>(statement.column_int64(first + 1));
  record.chunk_count = static_cast<uint64_t>(statement.column_int64(first + 2));
  record.logical_size = static_cast<uint64_t>(statement.column_int64(first + 3));
  const auto body = statement.column_blob(first + 4);
  record.body.assign(body.begin(), body.end());
}

// Columns first..first+8: seq, path, role, type_code, api_path, size, digest, recipe, log_generation.
inline FileRecord read_file(const Statement& statement, int first) {
  FileRecord file;
  file.seq = static_cast<uint32_t>(statement.column_int64(first));
  file.path = statement.column_text(first + 1);
  file.role = statement.column_text(first + 2);
  file.type_code = static_cast<uint16_t>(statement.column_int64(first + 3));
  file.api_path = statement.column_text(first + 4);
  file.size = static_cast<uint64_t>(statement.column_int64(first + 5));
  file.digest = blob_array<16>(statement, first + 6, "file digest");
  file.recipe = blob_array<16>(statement, first + 7, "file recipe");
  if (!statement.column_is_null(first + 8)) {
    file.log_generation = static_cast<uint32_t>(statement.column_int64(first + 8));
  }
  return file;
}

inline std::string hex_of(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const uint8_t byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

}  // namespace certvault::catalog
