#include "core/log_reader.h"

#include <fmt/format.h>

#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {

LoadedLog read_log(const std::filesystem::path& path, uint32_t expected_generation,
                   const Signature& expected_signature) {
  const std::string name = path_to_utf8(path);
  LoadedLog log;
  log.bytes = files::read_bytes(path);
  if (log.bytes.size() != kLogFileSize) {
    throw SimError(certadm_sim::kJetLogFileCorrupt,
                   fmt::format("log {} is torn: {} bytes, a log has {} (JET_errLogFileCorrupt -501)", name,
                               log.bytes.size(), kLogFileSize));
  }
  try {
    log.header = decode_log_header(log.bytes, name);
  } catch (const SimError& error) {
    throw SimError(certadm_sim::kJetLogFileCorrupt, fmt::format("{} (JET_errLogFileCorrupt -501)", error.what()));
  }
  if (!(log.header.signature == expected_signature)) {
    throw SimError(certadm_sim::kJetBadLogSignature,
                   fmt::format("log {}: signature at offset {} (random 0x{:08X}, time {}) is not the database's "
                               "(random 0x{:08X}, time {}) (JET_errBadLogSignature -530)",
                               name, kLogSignatureOffset, log.header.signature.random, log.header.signature.time,
                               expected_signature.random, expected_signature.time));
  }
  if (log.header.generation != expected_generation) {
    throw SimError(certadm_sim::kJetLogGenerationMismatch,
                   fmt::format("log {}: header generation at offset {} is {}, expected {} "
                               "(JET_errLogGenerationMismatch -513)",
                               name, kLogGenerationOffset, log.header.generation, expected_generation));
  }
  for (size_t offset = kLogHeaderSize; offset < log.bytes.size(); offset += kRedoRecordSize) {
    RedoRecord record;
    const auto status = decode_redo(std::span<const uint8_t>(log.bytes).subspan(offset), record);
    if (status == RedoStatus::kEnd) break;
    if (status == RedoStatus::kTorn) {
      throw SimError(certadm_sim::kJetLogFileCorrupt,
                     fmt::format("log {} is torn: the redo record at offset {} is cut or fails its checksum "
                                 "(JET_errLogFileCorrupt -501)",
                                 name, offset));
    }
    log.records.push_back(record);
  }
  return log;
}

}  // namespace casim
