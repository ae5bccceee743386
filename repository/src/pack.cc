#include "pack.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstring>
#include <limits>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/little_endian.h"

namespace certvault::pack {
namespace {

uint64_t xxh64(std::span<const uint8_t> bytes) { return XXH64(bytes.data(), bytes.size(), 0); }

[[noreturn]] void corrupt(const std::string& name, uint64_t offset, const std::string& field, const std::string& why) {
  throw Error(ErrorKind::kIntegrity, fmt::format("pack {} is corrupt: {} at offset {}: {}", name, field, offset, why));
}

std::array<uint8_t, kEntryHeaderSize> encode_entry_header(const ChunkId& id, uint16_t flags, uint16_t envelope_size,
                                                          uint32_t raw_size, uint32_t stored_size,
                                                          uint64_t stored_xxh64, uint32_t dictionary) {
  std::array<uint8_t, kEntryHeaderSize> header{};
  std::memcpy(header.data(), kEntryMagic, sizeof kEntryMagic);
  le::store<uint16_t>(header, kEntryFlagsAt, flags);
  le::store<uint16_t>(header, kEntryEnvelopeSizeAt, envelope_size);
  std::memcpy(&header[kEntryChunkIdAt], id.data(), id.size());
  le::store<uint32_t>(header, kEntryRawSizeAt, raw_size);
  le::store<uint32_t>(header, kEntryStoredSizeAt, stored_size);
  le::store<uint64_t>(header, kEntryStoredXxh64At, stored_xxh64);
  le::store<uint32_t>(header, kEntryHeaderCheckAt,
                      static_cast<uint32_t>(xxh64(std::span(header.data(), kEntryHeaderCheckAt))));
  le::store<uint32_t>(header, kEntryDictionaryAt, dictionary);  // 0 in version 1 (reserved there)
  return header;
}

// Whether an entry starting at `offset` ends at or before `limit`, without overflow.
bool entry_fits(uint64_t offset, uint64_t envelope_size, uint64_t stored_size, uint64_t limit) {
  if (offset > limit) return false;
  return limit - offset >= kEntryHeaderSize + envelope_size + stored_size;
}

}  // namespace

PackWriter::PackWriter(ObjectStore& store, std::string name, uint32_t version)
    : name_(std::move(name)), version_(version) {
  if (version_ != kVersion1 && version_ != kVersion2) {
    throw Error(ErrorKind::kInternal, fmt::format("pack {}: cannot write version {}", name_, version_));
  }
  writer_ = store.create(name_);
  uint8_t header[kHeaderSize] = {};
  std::memcpy(header, kPackMagic, sizeof kPackMagic);
  le::store<uint16_t>(header, kHeaderVersionAt, static_cast<uint16_t>(version_));
  writer_->append(header);
}

EntryInfo PackWriter::add(const ChunkId& id, uint32_t raw_size, uint16_t flags, std::span<const uint8_t> stored,
                          uint32_t dictionary) {
  if ((flags & ~kKnownFlags) != 0) {
    throw Error(ErrorKind::kInternal,
                fmt::format("pack {}: cannot add a chunk with flags 0x{:04x} (version {} knows 0x{:04x})", name_, flags,
                            version_, kKnownFlags));
  }
  if (dictionary != 0 && (version_ < kVersion2 || (flags & kFlagCompressed) == 0)) {
    throw Error(ErrorKind::kInternal, fmt::format("pack {}: dictionary {} for an entry of a version-{} pack with "
                                                  "flags 0x{:04x}",
                                                  name_, dictionary, version_, flags));
  }
  if (stored.size() > std::numeric_limits<uint32_t>::max()) {
    throw Error(ErrorKind::kInternal,
                fmt::format("pack {}: a stored chunk of {} bytes exceeds 4 GiB", name_, stored.size()));
  }
  if ((flags & kFlagCompressed) == 0 && raw_size != stored.size()) {
    throw Error(ErrorKind::kInternal, fmt::format("pack {}: uncompressed chunk has raw size {} but {} stored bytes",
                                                  name_, raw_size, stored.size()));
  }
  if (entries_.size() >= std::numeric_limits<uint32_t>::max()) {
    throw Error(ErrorKind::kInternal, fmt::format("pack {}: too many entries", name_));
  }
  EntryInfo info;
  info.id = id;
  info.offset = writer_->size();
  info.raw_size = raw_size;
  info.stored_size = static_cast<uint32_t>(stored.size());
  info.flags = flags;
  info.envelope_size = 0;
  info.dictionary = dictionary;
  const auto header = encode_entry_header(id, flags, 0, raw_size, info.stored_size, xxh64(stored), dictionary);
  writer_->append(header);
  writer_->append(stored);
  entries_.push_back(info);
  return info;
}

uint64_t PackWriter::size() const { return writer_->size(); }

const std::vector<EntryInfo>& PackWriter::finish() {
  const uint64_t index_offset = writer_->size();
  std::vector<uint8_t> index(entries_.size() * kIndexRecordSize);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const auto record = std::span(index).subspan(i * kIndexRecordSize, kIndexRecordSize);
    const auto& entry = entries_[i];
    std::memcpy(record.data() + kRecordChunkIdAt, entry.id.data(), entry.id.size());
    le::store<uint64_t>(record, kRecordOffsetAt, entry.offset);
    le::store<uint32_t>(record, kRecordRawSizeAt, entry.raw_size);
    le::store<uint32_t>(record, kRecordStoredSizeAt, entry.stored_size);
    le::store<uint16_t>(record, kRecordFlagsAt, entry.flags);
    le::store<uint16_t>(record, kRecordEnvelopeSizeAt, entry.envelope_size);
    le::store<uint32_t>(record, kRecordDictionaryAt, entry.dictionary);
  }
  uint8_t footer[kFooterSize] = {};
  le::store<uint64_t>(footer, kFooterIndexOffsetAt, index_offset);
  le::store<uint32_t>(footer, kFooterEntryCountAt, static_cast<uint32_t>(entries_.size()));
  le::store<uint32_t>(footer, kFooterVersionAt, version_);
  le::store<uint64_t>(footer, kFooterIndexXxh64At, xxh64(index));
  std::memcpy(&footer[kFooterMagicAt], kFooterMagic, sizeof kFooterMagic);
  writer_->append(index);
  writer_->append(footer);
  writer_->commit();
  return entries_;
}

std::vector<EntryInfo> parse_index(std::span<const uint8_t> tail, uint64_t pack_size, const std::string& name) {
  if (tail.size() < kFooterSize || pack_size < tail.size() || pack_size < kHeaderSize + kFooterSize) {
    corrupt(name, 0, "pack size",
            fmt::format("{} bytes cannot hold a {}-byte footer after a {}-byte header", pack_size, kFooterSize,
                        kHeaderSize));
  }
  const uint64_t footer_offset = pack_size - kFooterSize;
  const auto footer = tail.last(kFooterSize);
  if (std::memcmp(footer.data() + kFooterMagicAt, kFooterMagic, sizeof kFooterMagic) != 0) {
    corrupt(name, footer_offset + kFooterMagicAt, "footer magic", "not \"CVPKEND\" (truncated or not a pack)");
  }
  const uint32_t version = le::load<uint32_t>(footer, kFooterVersionAt);
  if (version != kVersion1 && version != kVersion2) {
    corrupt(name, footer_offset + kFooterVersionAt, "footer version",
            fmt::format("{} (this program reads versions 1 and 2)", version));
  }
  const uint64_t index_offset = le::load<uint64_t>(footer, kFooterIndexOffsetAt);
  const uint32_t entry_count = le::load<uint32_t>(footer, kFooterEntryCountAt);
  const uint64_t tail_offset = pack_size - tail.size();
  if (index_offset < kHeaderSize || index_offset > footer_offset) {
    corrupt(name, footer_offset + kFooterIndexOffsetAt, "footer index_offset",
            fmt::format("{} lies outside the pack body [{}, {}]", index_offset, kHeaderSize, footer_offset));
  }
  if (footer_offset - index_offset != static_cast<uint64_t>(entry_count) * kIndexRecordSize) {
    corrupt(name, footer_offset + kFooterEntryCountAt, "footer entry_count",
            fmt::format("{} entries need {} index bytes but {} lie between index and footer", entry_count,
                        static_cast<uint64_t>(entry_count) * kIndexRecordSize, footer_offset - index_offset));
  }
  if (index_offset < tail_offset) {
    corrupt(name, footer_offset + kFooterIndexOffsetAt, "footer index_offset",
            fmt::format("{} starts before the {} tail bytes given", index_offset, tail.size()));
  }
  const auto index = tail.subspan(index_offset - tail_offset, footer_offset - index_offset);
  const uint64_t index_xxh64 = le::load<uint64_t>(footer, kFooterIndexXxh64At);
  if (xxh64(index) != index_xxh64) {
    corrupt(name, index_offset, "index",
            fmt::format("XXH64 {:016x} does not match the footer's {:016x}", xxh64(index), index_xxh64));
  }
  std::vector<EntryInfo> entries;
  entries.reserve(entry_count);
  uint64_t expected_offset = kHeaderSize;  // entries lie back to back after the header
  for (uint32_t i = 0; i < entry_count; ++i) {
    const auto record = index.subspan(static_cast<size_t>(i) * kIndexRecordSize, kIndexRecordSize);
    const uint64_t record_offset = index_offset + static_cast<uint64_t>(i) * kIndexRecordSize;
    EntryInfo entry;
    std::memcpy(entry.id.data(), record.data() + kRecordChunkIdAt, entry.id.size());
    entry.offset = le::load<uint64_t>(record, kRecordOffsetAt);
    entry.raw_size = le::load<uint32_t>(record, kRecordRawSizeAt);
    entry.stored_size = le::load<uint32_t>(record, kRecordStoredSizeAt);
    entry.flags = le::load<uint16_t>(record, kRecordFlagsAt);
    entry.envelope_size = le::load<uint16_t>(record, kRecordEnvelopeSizeAt);
    if (entry.offset != expected_offset) {
      corrupt(name, record_offset + kRecordOffsetAt, fmt::format("index record {} entry offset", i),
              fmt::format("{} but the previous entry ends at {}", entry.offset, expected_offset));
    }
    if ((entry.flags & ~kKnownFlags) != 0) {
      corrupt(name, record_offset + kRecordFlagsAt, fmt::format("index record {} flags", i),
              fmt::format("0x{:04x} has bits this version does not know", entry.flags));
    }
    if ((entry.flags & kFlagCompressed) == 0 && entry.raw_size != entry.stored_size) {
      corrupt(name, record_offset + kRecordRawSizeAt, fmt::format("index record {} sizes", i),
              fmt::format("uncompressed entry has raw size {} but stored size {}", entry.raw_size, entry.stored_size));
    }
    if (entry.envelope_size != 0) {  // bytes no checksum covers: none may exist in version 1
      corrupt(name, record_offset + kRecordEnvelopeSizeAt, fmt::format("index record {} envelope_size", i),
              fmt::format("{}, but version {} entries have no envelope", entry.envelope_size, version));
    }
    if (version == kVersion1) {
      if (le::load<uint32_t>(record, kRecordReservedAt) != 0) {
        corrupt(name, record_offset + kRecordReservedAt, fmt::format("index record {} reserved field", i), "not zero");
      }
    } else {
      entry.dictionary = le::load<uint32_t>(record, kRecordDictionaryAt);
      if (entry.dictionary != 0 && (entry.flags & kFlagCompressed) == 0) {
        corrupt(name, record_offset + kRecordDictionaryAt, fmt::format("index record {} dictionary", i),
                fmt::format("{} names a dictionary for an entry that is not compressed", entry.dictionary));
      }
    }
    if (!entry_fits(entry.offset, entry.envelope_size, entry.stored_size, index_offset)) {
      corrupt(name, record_offset + kRecordStoredSizeAt, fmt::format("index record {} stored size", i),
              fmt::format("entry at {} with {} stored bytes runs past the index at {}", entry.offset, entry.stored_size,
                          index_offset));
    }
    expected_offset = entry.offset + kEntryHeaderSize + entry.envelope_size + entry.stored_size;
    entries.push_back(entry);
  }
  if (expected_offset != index_offset) {
    corrupt(name, index_offset, "index",
            fmt::format("entries end at {} but the index starts at {}", expected_offset, index_offset));
  }
  return entries;
}

uint32_t verify_header(std::span<const uint8_t> header, const std::string& name) {
  if (header.size() != kHeaderSize) {
    corrupt(name, 0, "pack header", fmt::format("{} bytes, not {}", header.size(), kHeaderSize));
  }
  if (std::memcmp(header.data(), kPackMagic, sizeof kPackMagic) != 0) corrupt(name, 0, "pack magic", "not \"CVPK\"");
  const uint16_t version = le::load<uint16_t>(header, kHeaderVersionAt);
  if (version != kVersion1 && version != kVersion2) {
    corrupt(name, kHeaderVersionAt, "pack version", fmt::format("{} (this program reads versions 1 and 2)", version));
  }
  const uint16_t flags = le::load<uint16_t>(header, kHeaderFlagsAt);
  if (flags != 0) {
    corrupt(name, kHeaderFlagsAt, "pack header flags",
            fmt::format("0x{:04x}, but version {} defines none", flags, version));
  }
  const uint64_t reserved = le::load<uint64_t>(header, kHeaderReservedAt);
  if (reserved != 0) {
    corrupt(name, kHeaderReservedAt, "pack header reserved field", fmt::format("0x{:016x}, not zero", reserved));
  }
  return version;
}

std::vector<EntryInfo> read_index(const ObjectStore& store, const std::string& name) {
  const uint64_t pack_size = store.size(name);
  if (pack_size < kHeaderSize + kFooterSize) {
    corrupt(name, 0, "pack size",
            fmt::format("{} bytes is shorter than header and footer ({} bytes)", pack_size, kHeaderSize + kFooterSize));
  }
  const uint32_t header_version = verify_header(store.read(name, 0, kHeaderSize), name);
  const auto footer = store.read(name, pack_size - kFooterSize, kFooterSize);
  const uint32_t footer_version = le::load<uint32_t>(footer, kFooterVersionAt);
  if (footer_version != header_version) {
    corrupt(name, pack_size - kFooterSize + kFooterVersionAt, "footer version",
            fmt::format("{}, but the pack header says version {}", footer_version, header_version));
  }
  const uint64_t index_offset = le::load<uint64_t>(footer, kFooterIndexOffsetAt);
  // Bound the index by the pack size before reading it: the footer may lie.
  if (index_offset < kHeaderSize || index_offset > pack_size - kFooterSize) {
    return parse_index(footer, pack_size, name);  // reports the bad offset
  }
  const auto tail = store.read(name, index_offset, pack_size - index_offset);
  return parse_index(tail, pack_size, name);
}

std::vector<uint8_t> read_stored(const ObjectStore& store, const std::string& name, const EntryInfo& expected) {
  const uint64_t pack_size = store.size(name);
  if (expected.offset < kHeaderSize ||
      !entry_fits(expected.offset, expected.envelope_size, expected.stored_size, pack_size)) {
    corrupt(name, expected.offset, "entry",
            fmt::format("{} stored bytes at offset {} do not fit in the pack ({} bytes)", expected.stored_size,
                        expected.offset, pack_size));
  }
  auto bytes = store.read(name, expected.offset, kEntryHeaderSize + expected.envelope_size + expected.stored_size);
  const auto stored = verify_entry(bytes, name, expected);
  return std::vector<uint8_t>(stored.begin(), stored.end());
}

std::span<const uint8_t> verify_entry(std::span<const uint8_t> entry, const std::string& name,
                                      const EntryInfo& expected) {
  if (entry.size() != entry_span(expected)) {
    corrupt(name, expected.offset, "entry",
            fmt::format("{} bytes read, {} expected", entry.size(), entry_span(expected)));
  }
  const auto header = entry.first(kEntryHeaderSize);
  const uint64_t at = expected.offset;
  if (std::memcmp(header.data(), kEntryMagic, sizeof kEntryMagic) != 0) {
    corrupt(name, at, "entry magic", "not \"CVCE\"");
  }
  const uint32_t header_check = le::load<uint32_t>(header, kEntryHeaderCheckAt);
  if (static_cast<uint32_t>(xxh64(header.first(kEntryHeaderCheckAt))) != header_check) {
    corrupt(name, at + kEntryHeaderCheckAt, "entry header_check", "the entry header's checksum does not match");
  }
  // Not covered by header_check (bytes 0..39): checked on its own. Zero in a version-1 pack (its
  // index and the catalog say dictionary 0); a version-2 pack's dictionary id, which must agree
  // with the index record (covered by the index checksum) or the catalog.
  const uint32_t dictionary = le::load<uint32_t>(header, kEntryDictionaryAt);
  if (dictionary != expected.dictionary) {
    corrupt(name, at + kEntryDictionaryAt, expected.dictionary == 0 ? "entry reserved field" : "entry dictionary",
            fmt::format("0x{:08x} on disk but the index says 0x{:08x}", dictionary, expected.dictionary));
  }
  const auto disagree = [&](size_t field_offset, const char* field, uint64_t on_disk, uint64_t wanted) {
    if (on_disk != wanted) {
      corrupt(name, at + field_offset, fmt::format("entry {}", field),
              fmt::format("{} on disk but the index says {}", on_disk, wanted));
    }
  };
  disagree(kEntryFlagsAt, "flags", le::load<uint16_t>(header, kEntryFlagsAt), expected.flags);
  disagree(kEntryEnvelopeSizeAt, "envelope_size", le::load<uint16_t>(header, kEntryEnvelopeSizeAt),
           expected.envelope_size);
  if (std::memcmp(header.data() + kEntryChunkIdAt, expected.id.data(), expected.id.size()) != 0) {
    corrupt(name, at + kEntryChunkIdAt, "entry chunk id",
            fmt::format("{} on disk but {} expected", to_hex(header.subspan(kEntryChunkIdAt, kChunkIdSize)),
                        to_hex(expected.id)));
  }
  disagree(kEntryRawSizeAt, "raw_size", le::load<uint32_t>(header, kEntryRawSizeAt), expected.raw_size);
  disagree(kEntryStoredSizeAt, "stored_size", le::load<uint32_t>(header, kEntryStoredSizeAt), expected.stored_size);
  const uint64_t stored_offset = at + kEntryHeaderSize + expected.envelope_size;
  const auto stored = entry.subspan(kEntryHeaderSize + expected.envelope_size);
  const uint64_t stored_xxh64 = le::load<uint64_t>(header, kEntryStoredXxh64At);
  if (xxh64(stored) != stored_xxh64) {
    corrupt(name, stored_offset, fmt::format("stored bytes of chunk {} ({} bytes)", to_hex(expected.id), stored.size()),
            fmt::format("XXH64 checksum {:016x} does not match {:016x} in the entry header at {}", xxh64(stored),
                        stored_xxh64, at));
  }
  return stored;
}

std::string new_pack_name() {
  std::array<uint8_t, 16> id{};
  fill_random(id);
  const std::string hex = to_hex(id);
  return "packs/" + hex.substr(0, 2) + "/" + hex + ".pack";
}

}  // namespace certvault::pack
