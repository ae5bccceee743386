#include "config_settings.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "config_format.h"

namespace certvault {

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
      {kChunkerKey, to_hex(config.chunker_key), true},
      {kChunkIdSecret, to_hex(config.chunk_id_secret), true},
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
