#include "core/formats.h"

#include <fmt/format.h>

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/sim_error.h"

namespace casim {
namespace {

constexpr char kSimDbTag[8] = {'C', 'A', 'S', 'I', 'M', 'D', 'B', '2'};
constexpr char kLegacySimDbTag[8] = {'C', 'A', 'S', 'I', 'M', 'D', 'B', '1'};
constexpr char kSimLogTag[8] = {'C', 'A', 'S', 'I', 'M', 'L', 'G', '1'};
constexpr uint32_t kComputerNameBytes = 16;
constexpr char kComputerName[kComputerNameBytes] = "CASIM";

void store_signature(std::span<uint8_t> bytes, size_t offset, const Signature& signature) {
  store_u32(bytes, offset, signature.random);
  store_u64(bytes, offset + 4, signature.time);
  for (uint32_t i = 0; i < kComputerNameBytes; ++i) bytes[offset + 12 + i] = static_cast<uint8_t>(kComputerName[i]);
}

Signature load_signature(std::span<const uint8_t> bytes, size_t offset) {
  return Signature{load_u32(bytes, offset), load_u64(bytes, offset + 4)};
}

void store_backup_info(std::span<uint8_t> bytes, size_t offset, const BackupInfo& info) {
  // lgposMark: ib (u16), isec (u16), lGeneration (u32) -> the generation is the high half.
  store_u64(bytes, offset, static_cast<uint64_t>(info.gen_high) << 32);
  store_u64(bytes, offset + 8, info.time);
  store_u32(bytes, offset + 16, info.gen_low);
  store_u32(bytes, offset + 20, info.gen_high);
}

BackupInfo load_backup_info(std::span<const uint8_t> bytes, size_t offset) {
  return BackupInfo{load_u32(bytes, offset + 16), load_u32(bytes, offset + 20), load_u64(bytes, offset + 8)};
}

void check_block(std::span<const uint8_t> block, size_t expected_size, FileType type, const std::string& file_name,
                 const char* what) {
  if (block.size() < expected_size) {
    throw SimError(certadm_sim::kEFail,
                   fmt::format("{} {}: only {} bytes, expected {}", what, file_name, block.size(), expected_size));
  }
  const uint32_t stored = load_u32(block, kChecksumOffset);
  const uint32_t computed = block_checksum(block.first(expected_size));
  if (stored != computed) {
    throw SimError(certadm_sim::kEFail, fmt::format("{} {}: checksum at offset 0 is 0x{:08X}, computed 0x{:08X}", what,
                                                    file_name, stored, computed));
  }
  if (block[kFileTypeOffset] != static_cast<uint8_t>(type)) {
    throw SimError(certadm_sim::kEFail, fmt::format("{} {}: file type at offset {} is {}, expected {}", what, file_name,
                                                    kFileTypeOffset, block[kFileTypeOffset], static_cast<int>(type)));
  }
}

}  // namespace

uint32_t load_u32(std::span<const uint8_t> bytes, size_t offset) {
  return static_cast<uint32_t>(bytes[offset]) | static_cast<uint32_t>(bytes[offset + 1]) << 8 |
         static_cast<uint32_t>(bytes[offset + 2]) << 16 | static_cast<uint32_t>(bytes[offset + 3]) << 24;
}

uint64_t load_u64(std::span<const uint8_t> bytes, size_t offset) {
  return load_u32(bytes, offset) | static_cast<uint64_t>(load_u32(bytes, offset + 4)) << 32;
}

void store_u32(std::span<uint8_t> bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
}

void store_u64(std::span<uint8_t> bytes, size_t offset, uint64_t value) {
  store_u32(bytes, offset, static_cast<uint32_t>(value));
  store_u32(bytes, offset + 4, static_cast<uint32_t>(value >> 32));
}

uint32_t block_checksum(std::span<const uint8_t> block) { return XXH32(block.data() + 4, block.size() - 4, 0); }

uint32_t ese_header_checksum(std::span<const uint8_t> page) {
  uint32_t checksum = kDbMagic;  // ESE's seed, 0x89ABCDEF
  for (size_t offset = kChecksumOffset + 4; offset + 4 <= page.size(); offset += 4) checksum ^= load_u32(page, offset);
  return checksum;
}

bool is_legacy_db_header(std::span<const uint8_t> page) {
  return page.size() >= kPageSize &&
         std::equal(std::begin(kLegacySimDbTag), std::end(kLegacySimDbTag), page.begin() + kLegacyDbSimAreaOffset) &&
         load_u32(page, kChecksumOffset) == block_checksum(page.first(kPageSize));
}

void encode_db_header(const DbHeader& header, std::span<uint8_t> page) {
  std::fill(page.begin(), page.end(), uint8_t{0});
  store_u32(page, kMagicOffset, kDbMagic);
  store_u32(page, kVersionOffset, kFormatVersion);
  // File type at 12 (libesedb's name for ESE's attribute) stays 0: a database, not a streaming file.
  store_u64(page, kDbTimeOffset, header.dbtime);
  store_signature(page, kDbSignatureOffset, header.db_signature);
  store_u32(page, kDbStateOffset, header.state);
  store_signature(page, kDbLogSignatureOffset, header.log_signature);
  store_backup_info(page, kLastFullBackupOffset, header.last_full);
  store_backup_info(page, kLastIncrementalBackupOffset, header.last_incremental);
  store_u32(page, kFormatRevisionOffset, kFormatRevision);
  store_u32(page, kPageSizeOffset, kPageSize);
  store_u32(page, kGenMinRequiredOffset, header.gen_min_required);
  store_u32(page, kGenMaxRequiredOffset, header.gen_max_required);
  std::copy(std::begin(kSimDbTag), std::end(kSimDbTag), page.begin() + kDbSimAreaOffset);
  store_u64(page, kDbSimAreaOffset + 8, header.seed);
  page[kFileTypeOffset] = static_cast<uint8_t>(FileType::kDatabase);
  store_u32(page, kChecksumOffset, ese_header_checksum(page.first(kPageSize)));
}

DbHeader decode_db_header(std::span<const uint8_t> page, const std::string& file_name) {
  if (page.size() < kPageSize) {
    throw SimError(certadm_sim::kEFail,
                   fmt::format("database header of {}: only {} bytes, expected {}", file_name, page.size(), kPageSize));
  }
  if (load_u32(page, kMagicOffset) != kDbMagic) {
    throw SimError(certadm_sim::kEFail, fmt::format("database header of {}: magic at offset 4 is 0x{:08X}, expected "
                                                    "0x{:08X}",
                                                    file_name, load_u32(page, kMagicOffset), kDbMagic));
  }
  const bool legacy = is_legacy_db_header(page);
  if (!legacy) {
    const uint32_t stored = load_u32(page, kChecksumOffset);
    const uint32_t computed = ese_header_checksum(page.first(kPageSize));
    if (stored != computed) {
      throw SimError(certadm_sim::kEFail, fmt::format("database header of {}: checksum at offset 0 is 0x{:08X}, ESE's "
                                                      "checksum of the page computes 0x{:08X}",
                                                      file_name, stored, computed));
    }
  }
  if (page[kFileTypeOffset] != static_cast<uint8_t>(FileType::kDatabase)) {
    throw SimError(certadm_sim::kEFail,
                   fmt::format("database header of {}: file type at offset {} is {}, expected {}", file_name,
                               kFileTypeOffset, page[kFileTypeOffset], static_cast<int>(FileType::kDatabase)));
  }
  if (load_u32(page, kPageSizeOffset) != kPageSize) {
    throw SimError(certadm_sim::kEFail,
                   fmt::format("database header of {}: page size at offset {} is {}, the sim "
                               "writes {}",
                               file_name, kPageSizeOffset, load_u32(page, kPageSizeOffset), kPageSize));
  }
  const size_t sim_area = legacy ? kLegacyDbSimAreaOffset : kDbSimAreaOffset;
  if (!legacy && !std::equal(std::begin(kSimDbTag), std::end(kSimDbTag), page.begin() + sim_area)) {
    throw SimError(certadm_sim::kEFail, fmt::format("database header of {}: no \"CASIMDB2\" at offset {}: not a "
                                                    "database the sim wrote",
                                                    file_name, sim_area));
  }
  DbHeader header;
  header.state = load_u32(page, kDbStateOffset);
  header.dbtime = load_u64(page, kDbTimeOffset);
  header.db_signature = load_signature(page, kDbSignatureOffset);
  header.log_signature = load_signature(page, kDbLogSignatureOffset);
  header.last_full = load_backup_info(page, kLastFullBackupOffset);
  header.last_incremental = load_backup_info(page, kLastIncrementalBackupOffset);
  header.gen_min_required = load_u32(page, kGenMinRequiredOffset);
  header.gen_max_required = load_u32(page, kGenMaxRequiredOffset);
  header.seed = load_u64(page, sim_area + 8);
  return header;
}

void encode_log_header(const LogHeader& header, std::span<uint8_t> block) {
  std::fill(block.begin(), block.end(), uint8_t{0});
  store_u32(block, kLogGenerationOffset, header.generation);
  store_u32(block, kLogSectorsOffset, static_cast<uint32_t>(kLogFileSize / 512));
  store_u64(block, kLogCreatedOffset, header.created);
  store_u64(block, kLogPreviousCreatedOffset, header.previous_created);
  store_u32(block, kLogMajorVersionOffset, 7);
  store_signature(block, kLogSignatureOffset, header.signature);
  block[kFileTypeOffset] = static_cast<uint8_t>(FileType::kLog);
  std::copy(std::begin(kSimLogTag), std::end(kSimLogTag), block.begin() + kSimAreaOffset);
  store_u32(block, kSimAreaOffset + 8, header.epoch);
  store_u32(block, kChecksumOffset, block_checksum(block.first(kLogHeaderSize)));
}

LogHeader decode_log_header(std::span<const uint8_t> block, const std::string& file_name) {
  check_block(block, kLogHeaderSize, FileType::kLog, file_name, "log header of");
  LogHeader header;
  header.generation = load_u32(block, kLogGenerationOffset);
  header.created = load_u64(block, kLogCreatedOffset);
  header.previous_created = load_u64(block, kLogPreviousCreatedOffset);
  header.signature = load_signature(block, kLogSignatureOffset);
  header.epoch = load_u32(block, kSimAreaOffset + 8);
  return header;
}

void encode_checkpoint(uint32_t generation, const Signature& log_signature, std::span<uint8_t> block) {
  std::fill(block.begin(), block.end(), uint8_t{0});
  // lgposCheckpoint at 8: ib (u16), isec (u16), lGeneration (u32) -> generation at 12.
  store_u32(block, kCheckpointGenerationOffset, generation);
  store_signature(block, kCheckpointLogSignatureOffset, log_signature);
  block[kFileTypeOffset] = static_cast<uint8_t>(FileType::kCheckpoint);
  store_u32(block, kChecksumOffset, block_checksum(block.first(kCheckpointFileSize)));
}

uint32_t decode_checkpoint(std::span<const uint8_t> block, const std::string& file_name) {
  check_block(block, kCheckpointFileSize, FileType::kCheckpoint, file_name, "checkpoint");
  return load_u32(block, kCheckpointGenerationOffset);
}

void encode_redo(const RedoRecord& record, std::span<uint8_t> out) {
  std::fill(out.begin(), out.begin() + kRedoHeaderSize, uint8_t{0});
  store_u32(out, 0, kRedoMagic);
  store_u32(out, 4, kRedoRecordSize);
  store_u32(out, 8, record.page);
  store_u64(out, 16, record.counter);
  std::copy(record.image.begin(), record.image.end(), out.begin() + kRedoHeaderSize);
  const uint32_t checksum = XXH32(out.data(), kRedoRecordSize, 0);  // checksum field is still zero here
  store_u32(out, 24, checksum);
}

RedoStatus decode_redo(std::span<const uint8_t> bytes, RedoRecord& record) {
  if (bytes.size() < 4 || load_u32(bytes, 0) == 0) return RedoStatus::kEnd;
  if (load_u32(bytes, 0) != kRedoMagic || bytes.size() < kRedoRecordSize || load_u32(bytes, 4) != kRedoRecordSize) {
    return RedoStatus::kTorn;
  }
  // The checksum covers the record with its checksum field zero, as encode_redo computed it. (One
  // XXH32 over a copy rather than XXH32_update twice: GCC 12 at -O3 reported a false
  // -Warray-bounds inside the inlined streaming update.)
  std::array<uint8_t, kRedoRecordSize> unsummed{};
  std::copy(bytes.begin(), bytes.begin() + kRedoRecordSize, unsummed.begin());
  store_u32(unsummed, 24, 0);
  if (XXH32(unsummed.data(), unsummed.size(), 0) != load_u32(bytes, 24)) return RedoStatus::kTorn;
  record.page = load_u32(bytes, 8);
  record.counter = load_u64(bytes, 16);
  record.image = bytes.subspan(kRedoHeaderSize, kPageSize);
  return RedoStatus::kRecord;
}

}  // namespace casim
