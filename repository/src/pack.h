// Pack files: many compressed chunks in one immutable object.
//
// The byte layout and its constants: pack_format.h (docs/format.md §5.2).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "certvault/repository/object_store.h"
#include "pack_format.h"

namespace certvault::pack {

using ChunkId = std::array<uint8_t, kChunkIdSize>;

struct EntryInfo {
  ChunkId id{};
  uint64_t offset = 0;  // of the entry header
  uint32_t raw_size = 0;
  uint32_t stored_size = 0;
  uint16_t flags = 0;
  uint16_t envelope_size = 0;
  uint32_t dictionary = 0;  // version-2 packs: the zstd dictionary of the stored bytes (0: none)
};

// Writes one pack object. Not thread-safe: callers serialise add().
class PackWriter {
 public:
  // `version`: kVersion1 in a repository of format 1, kVersion2 in format 2.
  PackWriter(ObjectStore& store, std::string name, uint32_t version);
  // `stored` is what goes to disk (compressed or raw, as `flags` says); `dictionary` names the zstd
  // dictionary it was compressed with (version 2 only, compressed entries only; 0: none).
  EntryInfo add(const ChunkId& id, uint32_t raw_size, uint16_t flags, std::span<const uint8_t> stored,
                uint32_t dictionary = 0);
  uint64_t size() const;
  size_t entry_count() const { return entries_.size(); }
  const std::string& name() const { return name_; }
  // Appends index and footer, then commits (fsync + rename + folder fsync).
  const std::vector<EntryInfo>& finish();

 private:
  std::string name_;
  uint32_t version_;
  std::unique_ptr<ObjectWriter> writer_;
  std::vector<EntryInfo> entries_;
};

// Verifies the 16-byte pack header (§5.2): magic, version (1 or 2), and the flags and
// reserved field, which must be zero. Returns the version. Throws Error(kIntegrity) naming the pack,
// the offset and the field. The one check of this structure: read_index() and
// the snapshot reader use it.
uint32_t verify_header(std::span<const uint8_t> header, const std::string& name);

// Reads the index of a committed pack from its footer, verifying the pack
// header (verify_header), the footer's magic, version and checksum and every
// index record (reserved fields zero). Throws Error(kIntegrity) naming the
// pack and offset.
std::vector<EntryInfo> read_index(const ObjectStore& store, const std::string& name);

// Reads one entry's stored bytes, verifying the entry header (magic, header
// check, id, sizes against `expected`) and the stored checksum. Throws
// Error(kIntegrity) naming pack, offset and what disagreed.
std::vector<uint8_t> read_stored(const ObjectStore& store, const std::string& name, const EntryInfo& expected);

// Verifies one entry held in memory (`entry` = header, envelope and stored
// bytes, as at `expected.offset` in pack `name`) and returns its stored bytes:
// every byte of the entry header is checked (magic, header check, reserved
// field zero, the rest against `expected`), then the stored checksum.
// Same checks and errors as read_stored(); does no I/O.
std::span<const uint8_t> verify_entry(std::span<const uint8_t> entry, const std::string& name,
                                      const EntryInfo& expected);

// Bytes an entry occupies in its pack.
inline uint64_t entry_span(const EntryInfo& entry) {
  return kEntryHeaderSize + uint64_t{entry.envelope_size} + entry.stored_size;
}

// Parses a serialized index+footer (the last bytes of a pack). Exposed for fuzzing.
std::vector<EntryInfo> parse_index(std::span<const uint8_t> tail, uint64_t pack_size, const std::string& name);

// A fresh random pack object name: "packs/<2 hex>/<32 hex>.pack".
std::string new_pack_name();

}  // namespace certvault::pack
