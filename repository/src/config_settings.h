// The catalog's copy of the config: its `settings` table holds every config
// field but created-unix, as text. init and `repair catalog` write it; open
// compares it with the config, so a damaged config is found before anything is
// read or written with wrong parameters (a changed chunk-id-secret would make
// every chunk look corrupt; a changed chunker-key would silently stop dedup).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/repository.h"

namespace certvault {

struct ConfigSetting {
  std::string key;  // as in the config file, e.g. "chunk-avg"
  std::string value;
  bool key_material = false;  // never printed in messages
};

std::vector<ConfigSetting> catalog_settings(const RepositoryConfig& config);
void copy_config_into_catalog(const RepositoryConfig& config, catalog::Catalog& catalog);

// Throws Error(kIntegrity) naming `config_path` and the first setting in which
// the catalog disagrees with `config`. A setting the catalog lacks is not
// compared (the catalog is a cache; the repository id check covers a foreign one).
void require_catalog_agrees_with_config(const RepositoryConfig& config, const catalog::Catalog& catalog,
                                        const std::filesystem::path& config_path);

}  // namespace certvault
