#include "config_settings.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "config_format.h"
#include "crypto.h"

namespace certvault {

namespace {

// An encrypted repository's catalog holds no secret in plain text: a digest of it, which the open
// compares as it compares the secrets of a plaintext repository.
std::string catalog_copy_of_secret(const RepositoryConfig& config, std::span<const uint8_t> secret) {
  if (!config.encrypted()) return to_hex(secret);
  return "blake2b:" +
         to_hex(crypto::digest(crypto::concat({crypto::bytes_of(crypto_format::kCatalogDigestLabel), secret}), 16));
}

}  // namespace

std::vector<ConfigSetting> catalog_settings(const RepositoryConfig& config) {
  using namespace config_format;
  return {
      {kRepositoryId, config.repository_id},
      {kFormatVersion, std::to_string(config.format_version)},
      {kChunkMin, std::to_string(config.chunk_params.min_size)},
      {kChunkAvg, std::to_string(config.chunk_params.avg_size)},
      {kChunkMax, std::to_string(config.chunk_params.max_size)},
      {kZstdLevel, std::to_string(config.zstd_level)},
      {kPackTargetBytes, std::to_string(config.pack_target_bytes)},
      {kChunkerKey, catalog_copy_of_secret(config, config.chunker_key), true},
      {kChunkIdSecret, catalog_copy_of_secret(config, config.chunk_id_secret), true},
      {kConfigChecksumSetting, config.checksummed ? "xxh64" : "none"},
  };
}

void copy_config_into_catalog(const RepositoryConfig& config, catalog::Catalog& catalog) {
  for (const auto& setting : catalog_settings(config)) catalog.set_setting(setting.key, setting.value);
}

void require_catalog_agrees_with_config(const RepositoryConfig& config, const catalog::Catalog& catalog,
                                        const std::filesystem::path& config_path) {
  for (const auto& setting : catalog_settings(config)) {
    const auto copy = catalog.setting(setting.key);
    if (!copy || *copy == setting.value) continue;
    const auto values = setting.key_material
                            ? std::string("(key material, not shown)")
                            : fmt::format("'{}' in the config, '{}' in the catalog", setting.value, *copy);
    throw Error(ErrorKind::kIntegrity,
                fmt::format("config {} disagrees with the catalog's copy of it: {} differs {}; one of them is "
                            "damaged (`certvault repair catalog` would copy the config into a new catalog)",
                            config_path.string(), setting.key, values));
  }
}

}  // namespace certvault
