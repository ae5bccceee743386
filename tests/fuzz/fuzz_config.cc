// The repository's `config` parser: every command reads it first. Inputs are
// tried as they are and, so that mutations get past the checksum line, with a
// correct `config-xxh64` line appended. Whatever parses must survive
// serialize + parse unchanged.
#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "certvault/base/error.h"
#include "certvault/repository/repository.h"
#include "fuzz_target.h"

namespace {
using namespace certvault;

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

std::string without_checksum_line(std::string text) {
  const auto at = text.rfind("config-xxh64 = ");
  return at == std::string::npos ? text : text.substr(0, at);
}

std::vector<std::vector<uint8_t>> config_seeds() {
  RepositoryConfig config;
  config.repository_id = std::string(32, 'b');
  config.created_unix = 1764000000;
  config.chunker_key.fill(0x5a);
  config.chunk_id_secret.fill(0xa5);
  config.chunk_params = chunker::Params::from_average(8192);
  const std::string text = config.serialize();
  return {bytes_of(text), bytes_of(without_checksum_line(text)),
          bytes_of("certvault repository\nformat-version = 1\nconfig-xxh64 = 0000000000000000\n")};
}

void require_round_trip(const RepositoryConfig& config) {
  const auto again = RepositoryConfig::parse(config.serialize(), "fuzz config re-serialized");
  if (again.format_version != config.format_version || again.repository_id != config.repository_id ||
      again.created_unix != config.created_unix || again.chunker_key != config.chunker_key ||
      again.chunk_id_secret != config.chunk_id_secret || again.chunk_params.min_size != config.chunk_params.min_size ||
      again.chunk_params.avg_size != config.chunk_params.avg_size ||
      again.chunk_params.max_size != config.chunk_params.max_size || again.zstd_level != config.zstd_level ||
      again.pack_target_bytes != config.pack_target_bytes || !again.checksummed) {
    std::abort();
  }
}

void parse_config(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    require_round_trip(RepositoryConfig::parse(text, "fuzz config"));
  } catch (const Error&) {
  }
  try {  // with a checksum line that matches, so the keys are parsed
    const std::string body = without_checksum_line(text);
    char line[64];
    std::snprintf(line, sizeof line, "config-xxh64 = %016llx\n",
                  static_cast<unsigned long long>(XXH64(body.data(), body.size(), 0)));
    require_round_trip(RepositoryConfig::parse(body + line, "fuzz config with checksum"));
  } catch (const Error&) {
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(config, config_seeds, parse_config);
