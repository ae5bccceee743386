// Reading and validating a log file (recovery and verify).
//
// Contract: read_log returns the header and every redo record of a log, or
// throws SimError with the ESE error recovery would report: -501 (torn or
// damaged: bad header checksum, short file, a cut or corrupt record), -513
// (header generation differs from the expected one), -530 (another log sequence).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/formats.h"

namespace casim {

struct LoadedLog {
  LogHeader header;
  std::vector<uint8_t> bytes;       // the whole file
  std::vector<RedoRecord> records;  // views into bytes
};

LoadedLog read_log(const std::filesystem::path& path, uint32_t expected_generation,
                   const Signature& expected_signature);

}  // namespace casim
