#include "config_settings.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"

namespace certvault {

std::vector<ConfigSetting> catalog_settings(const RepositoryConfig& config) {
  return {
      {"repository-id", config.repository_id},
      {"format-version", std::to_string(config.format_version)},
      {"chunk-min", std::to_string(config.chunk_params.min_size)},
      {"chunk-avg", std::to_string(config.chunk_params.avg_size)},
      {"chunk-max", std::to_string(config.chunk_params.max_size)},
      {"zstd-level", std::to_string(config.zstd_level)},
      {"pack-target-bytes", std::to_string(config.pack_target_bytes)},
      {"chunker-key", to_hex(config.chunker_key), true},
      {"chunk-id-secret", to_hex(config.chunk_id_secret), true},
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
