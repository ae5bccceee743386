#include <span>

#include "certvault/operations/ese_headers.h"
#include "fuzz_target.h"

namespace {
std::vector<std::vector<uint8_t>> ese_seeds() {
  std::vector<uint8_t> database(8192, 0);
  const uint32_t magic = certvault::ese::kHeaderMagic;
  for (int i = 0; i < 4; ++i)
    database[certvault::ese::kMagicOffset + static_cast<size_t>(i)] = static_cast<uint8_t>(magic >> (8 * i));
  database[certvault::ese::kPageSizeOffset + 1] = 0x20;  // 8192
  database[certvault::ese::kFileTypeOffset] = 1;
  auto log = database;
  log[certvault::ese::kFileTypeOffset] = 3;
  auto checkpoint = database;
  checkpoint[certvault::ese::kFileTypeOffset] = 4;
  auto verified = database;  // with ESE's header checksum, so verify_database_header_page() passes
  const uint32_t checksum = certvault::ese::header_checksum(verified);
  for (int i = 0; i < 4; ++i) verified[static_cast<size_t>(i)] = static_cast<uint8_t>(checksum >> (8 * i));
  const std::string name = "edb0001F.log";
  return {database, log, checkpoint, verified, std::vector<uint8_t>(name.begin(), name.end())};
}

void parse_ese(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  try {
    (void)certvault::ese::parse_database_header(bytes);
  } catch (const std::exception&) {
  }
  try {
    (void)certvault::ese::verify_database_header_page(bytes, "fuzz.edb");
  } catch (const std::exception&) {
  }
  (void)certvault::ese::has_database_signature(bytes);
  try {
    (void)certvault::ese::parse_log_generation(bytes);
  } catch (const std::exception&) {
  }
  try {
    (void)certvault::ese::parse_checkpoint_generation(bytes);
  } catch (const std::exception&) {
  }
  (void)certvault::ese::log_generation_from_name(std::string_view(reinterpret_cast<const char*>(data), size));
}
}  // namespace

CERTVAULT_FUZZ_TARGET(ese_headers, ese_seeds, parse_ese);
