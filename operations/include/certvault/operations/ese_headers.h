// Reading the few ESE header fields certvault relies on, and verifying a database's header page
// as ESE does.
//
// Contract: every parser takes untrusted bytes (from CertSrvBackupRead or a
// repository) and either returns a value or throws certvault::Error(kIntegrity)
// naming the field, the offset and what was wrong. Nothing here reads files.
// Only the database header has the magic (a log keeps its generation at 4).
// Offsets follow ESE's on-disk layout (little-endian), so the same code reads
// real CertLog files and the simulated CA's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace certvault::ese {

inline constexpr uint32_t kHeaderMagic = 0x89ABCDEF;
inline constexpr size_t kMagicOffset = 4;
inline constexpr size_t kFormatVersionOffset = 8;
inline constexpr size_t kDatabaseStateOffset = 52;
inline constexpr size_t kLastFullBackupOffset = 136;
inline constexpr size_t kLastIncrementalBackupOffset = 160;
inline constexpr size_t kPageSizeOffset = 236;
inline constexpr size_t kLowestRequiredGenerationOffset = 296;
inline constexpr size_t kHighestRequiredGenerationOffset = 300;
inline constexpr size_t kFileTypeOffset = 667;
inline constexpr size_t kLogGenerationOffset = 4;
inline constexpr size_t kCheckpointGenerationOffset = 12;
// The smallest prefix of a file that holds every field above.
inline constexpr size_t kHeaderPrefixBytes = kFileTypeOffset + 1;
inline constexpr size_t kChecksumOffset = 0;
// ESE's seed of the XOR checksum (the same value as the magic).
inline constexpr uint32_t kChecksumSeed = 0x89ABCDEF;
// The largest page size parse_database_header() accepts: a database's header page (page 0) is at
// most this long.
inline constexpr size_t kMaxPageBytes = 65536;

enum class FileType : uint8_t { kDatabase = 1, kLog = 3, kCheckpoint = 4 };
enum class DatabaseState : uint32_t { kDirtyShutdown = 2, kCleanShutdown = 3 };

// ESE's BKINFO: where the last backup of each kind ended (24 bytes).
struct BackupInfo {
  uint64_t log_position = 0;
  uint64_t time = 0;
  uint32_t gen_low = 0;
  uint32_t gen_high = 0;
};

struct DatabaseHeader {
  uint32_t format_version = 0;
  uint32_t state = 0;
  uint32_t page_size = 0;
  uint32_t lowest_required_generation = 0;
  uint32_t highest_required_generation = 0;
  BackupInfo last_full_backup;
  BackupInfo last_incremental_backup;
};

// Parses the header at the start of a database file. Requires at least
// kHeaderPrefixBytes bytes, the magic, file type 1 and a power-of-two page size.
DatabaseHeader parse_database_header(std::span<const uint8_t> prefix);

// The page size of a database whose header parses, else nullopt: how
// certvault decides to chunk a file on its page boundaries.
std::optional<uint32_t> database_page_size(std::span<const uint8_t> prefix);

// ESE's checksum of a database header page (its "old format", the only one ESE uses for headers):
// 0x89ABCDEF XOR every little-endian 32-bit word of the page after the 4-byte checksum field.
// `page` is the whole header page (its length a multiple of 4).
uint32_t header_checksum(std::span<const uint8_t> page);

// True when `head` carries a database header's magic (offset 4) and file type 1 (offset 667):
// a file a folder backup treats as an ESE database, whose header page must then verify.
bool has_database_signature(std::span<const uint8_t> head);

// Verifies the header page of the database `file` as ESE reads it, then parses it. `head` is the
// file's first min(size, kMaxPageBytes) bytes. Throws Error(kIntegrity) naming `file`, the offset
// and the values when the header is torn (shorter than its page, or its first kHeaderPrefixBytes
// all zero), does not parse (parse_database_header()), or its checksum at offset 0 differs from
// header_checksum() of the page (page size from offset 236). Only page 0 is verified: the shadow
// copy in page 1 is ESE's own fallback.
DatabaseHeader verify_database_header_page(std::span<const uint8_t> head, std::string_view file);

// The generation stored in a log file's header (file type 3).
uint32_t parse_log_generation(std::span<const uint8_t> prefix);

// The generation of the checkpoint in edb.chk (file type 4).
uint32_t parse_checkpoint_generation(std::span<const uint8_t> prefix);

// "edb0000A.log" -> 10, "edb12345678.log" -> 0x12345678; "edb.log", other
// names, lower/upper-case mixes of a valid name accepted; anything else -> nullopt.
// Accepts a bare file name or a path with '/' or '\\' separators.
std::optional<uint32_t> log_generation_from_name(std::string_view path);

// The file name ESE gives a finished log of that generation.
std::string log_name_for_generation(uint32_t generation);

}  // namespace certvault::ese
