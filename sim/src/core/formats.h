// Byte layouts of the simulated CertLog files (docs/sim.md, "File formats").
// Fields the real ESE files have sit at ESE's offsets (little-endian), so the
// archiver's header parsing reads real and simulated files alike. The database
// header page carries ESE's own checksum (XOR, seed 0x89ABCDEF, over the whole
// page) with everything past ESE's 668-byte header zero, as ESE writes it, so
// ESE readers (libesedb's esedbinfo) accept it; the sim still reads the headers
// older sims wrote (XXH32 checksum, sim area at 1024).
//
// Contract: encoders fill a whole header/page/record including its checksum;
// decoders validate checksum, magic and file type and throw SimError(kEFail)
// naming the file, the field and the offset.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace casim {

inline constexpr uint32_t kPageSize = 8192;
inline constexpr uint32_t kHeaderPages = 2;  // header and its shadow copy; data page N is at (N + 1) * kPageSize
inline constexpr uint64_t kLogFileSize = 1 << 20;
inline constexpr uint32_t kLogHeaderSize = 4096;
inline constexpr uint32_t kCheckpointFileSize = 4096;

// ESE offsets (database, log and checkpoint headers).
inline constexpr uint32_t kDbMagic = 0x89ABCDEF;
inline constexpr uint32_t kFormatVersion = 0x620;
inline constexpr size_t kChecksumOffset = 0;
inline constexpr size_t kMagicOffset = 4;
inline constexpr size_t kVersionOffset = 8;
inline constexpr size_t kDbTimeOffset = 16;
inline constexpr size_t kDbSignatureOffset = 24;
inline constexpr size_t kDbStateOffset = 52;
inline constexpr size_t kDbLogSignatureOffset = 104;
inline constexpr size_t kLastFullBackupOffset = 136;
inline constexpr size_t kLastIncrementalBackupOffset = 160;
inline constexpr size_t kFormatRevisionOffset = 232;
inline constexpr uint32_t kFormatRevision = 0x11;  // ESE's revision for 2/16/32 KiB page support (Windows 7)
inline constexpr size_t kPageSizeOffset = 236;
inline constexpr size_t kGenMinRequiredOffset = 296;
inline constexpr size_t kGenMaxRequiredOffset = 300;
inline constexpr size_t kFileTypeOffset = 667;
inline constexpr size_t kLogGenerationOffset = 4;
inline constexpr size_t kLogSectorsOffset = 12;
inline constexpr size_t kLogCreatedOffset = 16;
inline constexpr size_t kLogPreviousCreatedOffset = 24;
inline constexpr size_t kLogMajorVersionOffset = 32;
inline constexpr size_t kLogSignatureOffset = 44;
inline constexpr size_t kCheckpointGenerationOffset = 12;
inline constexpr size_t kCheckpointLogSignatureOffset = 24;
// The sim's own fields in logs, past every ESE field it models.
inline constexpr size_t kSimAreaOffset = 1024;
// The sim's own fields in the database header: inside ESE's 668-byte header, in a range ESE leaves
// zero (libesedb: "unknown, empty values" at 516..663), so the rest of the page stays zero.
inline constexpr size_t kDbSimAreaOffset = 600;
// Where headers written by older sims (XXH32 checksum) kept it.
inline constexpr size_t kLegacyDbSimAreaOffset = 1024;

enum class FileType : uint8_t { kDatabase = 1, kLog = 3, kCheckpoint = 4 };
enum class DbState : uint32_t { kDirtyShutdown = 2, kCleanShutdown = 3 };

// ESE's SIGNATURE: 4-byte random, 8-byte creation time, 16-byte computer name (28 bytes).
struct Signature {
  uint32_t random = 0;
  uint64_t time = 0;
  bool operator==(const Signature&) const = default;
};

// ESE's BKINFO (24 bytes): log position (generation in its high half), time, genLow, genHigh.
struct BackupInfo {
  uint32_t gen_low = 0;
  uint32_t gen_high = 0;
  uint64_t time = 0;
  bool present() const { return gen_high != 0; }
};

struct DbHeader {
  uint32_t state = static_cast<uint32_t>(DbState::kDirtyShutdown);
  uint64_t dbtime = 0;
  Signature db_signature;
  Signature log_signature;
  BackupInfo last_full;
  BackupInfo last_incremental;
  uint32_t gen_min_required = 0;
  uint32_t gen_max_required = 0;
  uint64_t seed = 0;  // sim area: page contents are a function of (seed, page, update counter)
};

struct LogHeader {
  uint32_t generation = 0;
  uint64_t created = 0;
  uint64_t previous_created = 0;
  Signature signature;
  uint32_t epoch = 0;  // sim area: which history (restores start a new one) wrote this log
};

// A redo record: the page image after an update, applied when the page's counter is older.
struct RedoRecord {
  uint32_t page = 0;
  uint64_t counter = 0;
  std::span<const uint8_t> image;  // kPageSize bytes
};
inline constexpr uint32_t kRedoMagic = 0x4F444552;  // "REDO"
inline constexpr uint32_t kRedoHeaderSize = 32;
inline constexpr uint32_t kRedoRecordSize = kRedoHeaderSize + kPageSize;

uint32_t load_u32(std::span<const uint8_t> bytes, size_t offset);
uint64_t load_u64(std::span<const uint8_t> bytes, size_t offset);
void store_u32(std::span<uint8_t> bytes, size_t offset, uint32_t value);
void store_u64(std::span<uint8_t> bytes, size_t offset, uint64_t value);

// XXH32 of every byte after the 4-byte checksum field.
uint32_t block_checksum(std::span<const uint8_t> block);

// ESE's database header checksum: 0x89ABCDEF XOR every little-endian u32 of the page after the
// 4-byte checksum field (ESE's "old format", which it uses for headers).
uint32_t ese_header_checksum(std::span<const uint8_t> page);

// True when `page` is a database header page in the format older sims wrote (valid XXH32 at 0,
// "CASIMDB1" at 1024); decode_db_header reads it, encode_db_header writes the current format.
bool is_legacy_db_header(std::span<const uint8_t> page);

void encode_db_header(const DbHeader& header, std::span<uint8_t> page);
DbHeader decode_db_header(std::span<const uint8_t> page, const std::string& file_name);

void encode_log_header(const LogHeader& header, std::span<uint8_t> block);
LogHeader decode_log_header(std::span<const uint8_t> block, const std::string& file_name);

void encode_checkpoint(uint32_t generation, const Signature& log_signature, std::span<uint8_t> block);
uint32_t decode_checkpoint(std::span<const uint8_t> block, const std::string& file_name);

void encode_redo(const RedoRecord& record, std::span<uint8_t> out);  // kRedoRecordSize bytes
enum class RedoStatus { kRecord, kEnd, kTorn };
// Decodes the record at the start of `bytes` (a view into a log): kEnd at zero fill or the end
// of the log, kTorn when a record is cut short or its checksum fails.
RedoStatus decode_redo(std::span<const uint8_t> bytes, RedoRecord& record);

}  // namespace casim
