#include "certvault/operations/ese_headers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "certvault/base/error.h"
#include "certvault/base/little_endian.h"
#include "certvault/base/quoted_text.h"

namespace certvault::ese {
namespace {

[[noreturn]] void bad_header(const char* what, const std::string& detail) {
  throw Error(ErrorKind::kIntegrity, fmt::format("ESE {} header: {}", what, detail));
}

void check_common(std::span<const uint8_t> prefix, const char* what, FileType expected) {
  if (prefix.size() < kHeaderPrefixBytes) {
    bad_header(what, fmt::format("only {} bytes, need {} to reach the file type at offset {}", prefix.size(),
                                 kHeaderPrefixBytes, kFileTypeOffset));
  }
  // Only the database header carries the magic; a log keeps its generation there.
  const uint32_t magic = le::load<uint32_t>(prefix, kMagicOffset);
  if (expected == FileType::kDatabase && magic != kHeaderMagic) {
    bad_header(what,
               fmt::format("magic at offset {} is 0x{:08X}, expected 0x{:08X}", kMagicOffset, magic, kHeaderMagic));
  }
  const uint8_t type = prefix[kFileTypeOffset];
  if (type != static_cast<uint8_t>(expected)) {
    bad_header(what, fmt::format("file type at offset {} is {}, expected {}", kFileTypeOffset, type,
                                 static_cast<int>(expected)));
  }
}

[[noreturn]] void bad_database(std::string_view file, const std::string& detail) {
  throw Error(ErrorKind::kIntegrity, fmt::format("ESE database header of {}: {}", quoted_if_needed(file), detail));
}

BackupInfo read_backup_info(std::span<const uint8_t> bytes, size_t offset) {
  return BackupInfo{le::load<uint64_t>(bytes, offset), le::load<uint64_t>(bytes, offset + 8),
                    le::load<uint32_t>(bytes, offset + 16), le::load<uint32_t>(bytes, offset + 20)};
}

}  // namespace

DatabaseHeader parse_database_header(std::span<const uint8_t> prefix) {
  check_common(prefix, "database", FileType::kDatabase);
  DatabaseHeader header;
  header.format_version = le::load<uint32_t>(prefix, kFormatVersionOffset);
  header.state = le::load<uint32_t>(prefix, kDatabaseStateOffset);
  header.page_size = le::load<uint32_t>(prefix, kPageSizeOffset);
  header.lowest_required_generation = le::load<uint32_t>(prefix, kLowestRequiredGenerationOffset);
  header.highest_required_generation = le::load<uint32_t>(prefix, kHighestRequiredGenerationOffset);
  header.last_full_backup = read_backup_info(prefix, kLastFullBackupOffset);
  header.last_incremental_backup = read_backup_info(prefix, kLastIncrementalBackupOffset);
  const uint32_t page = header.page_size;
  if (page < 2048 || page > 65536 || (page & (page - 1)) != 0) {
    bad_header("database",
               fmt::format("page size at offset {} is {}, not a power of two in 2048..65536", kPageSizeOffset, page));
  }
  return header;
}

uint32_t header_checksum(std::span<const uint8_t> page) {
  uint32_t checksum = kChecksumSeed;
  for (size_t offset = kChecksumOffset + 4; offset + 4 <= page.size(); offset += 4) {
    checksum ^= le::load<uint32_t>(page, offset);
  }
  return checksum;
}

bool has_database_signature(std::span<const uint8_t> head) {
  return head.size() >= kHeaderPrefixBytes && le::load<uint32_t>(head, kMagicOffset) == kHeaderMagic &&
         head[kFileTypeOffset] == static_cast<uint8_t>(FileType::kDatabase);
}

DatabaseHeader verify_database_header_page(std::span<const uint8_t> head, std::string_view file) {
  if (head.size() < kHeaderPrefixBytes) {
    bad_database(file,
                 fmt::format("the file is only {} bytes, shorter than the {}-byte header: a torn or truncated database",
                             head.size(), kHeaderPrefixBytes));
  }
  const auto prefix = head.first(kHeaderPrefixBytes);
  if (std::all_of(prefix.begin(), prefix.end(), [](uint8_t b) { return b == 0; })) {
    bad_database(file,
                 fmt::format("bytes 0-{} are all zero: a torn or never-written header page", kHeaderPrefixBytes - 1));
  }
  DatabaseHeader header;
  try {
    header = parse_database_header(head);
  } catch (const Error& e) {
    // parse_database_header() names the field; drop its own "ESE database header: " prefix.
    std::string_view detail = e.what();
    if (const size_t colon = detail.find(": "); colon != std::string_view::npos) detail.remove_prefix(colon + 2);
    bad_database(file, std::string(detail));
  }
  if (head.size() < header.page_size) {
    bad_database(
        file, fmt::format("the file is only {} bytes, but its header page is {} bytes (page size at offset {}): a torn "
                          "or truncated database",
                          head.size(), header.page_size, kPageSizeOffset));
  }
  const uint32_t stored = le::load<uint32_t>(head, kChecksumOffset);
  const uint32_t computed = header_checksum(head.first(header.page_size));
  if (stored != computed) {
    bad_database(file,
                 fmt::format("checksum at offset {} is 0x{:08X}, but ESE's checksum of the header page (bytes 4-{}) is "
                             "0x{:08X}: the header page is damaged or torn",
                             kChecksumOffset, stored, header.page_size - 1, computed));
  }
  return header;
}

std::optional<uint32_t> database_page_size(std::span<const uint8_t> prefix) {
  try {
    return parse_database_header(prefix).page_size;
  } catch (const Error&) {
    return std::nullopt;
  }
}

uint32_t parse_log_generation(std::span<const uint8_t> prefix) {
  check_common(prefix, "log", FileType::kLog);
  return le::load<uint32_t>(prefix, kLogGenerationOffset);
}

uint32_t parse_checkpoint_generation(std::span<const uint8_t> prefix) {
  check_common(prefix, "checkpoint", FileType::kCheckpoint);
  return le::load<uint32_t>(prefix, kCheckpointGenerationOffset);
}

std::optional<uint32_t> log_generation_from_name(std::string_view path) {
  const size_t slash = path.find_last_of("/\\");
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  auto iequals = [&](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  };
  if (name.size() < 3 + 4 || !iequals(name.substr(0, 3), "edb") || !iequals(name.substr(name.size() - 4), ".log")) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(3, name.size() - 7);
  if (digits.size() != 5 && digits.size() != 8) return std::nullopt;
  uint32_t generation = 0;
  for (char c : digits) {
    const int value = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (lower(c) >= 'a' && lower(c) <= 'f')      ? lower(c) - 'a' + 10
                                                                  : -1;
    if (value < 0) return std::nullopt;
    generation = generation * 16 + static_cast<uint32_t>(value);
  }
  return generation;
}

std::string log_name_for_generation(uint32_t generation) {
  return generation <= 0xFFFFF ? fmt::format("edb{:05X}.log", generation) : fmt::format("edb{:08X}.log", generation);
}

}  // namespace certvault::ese
