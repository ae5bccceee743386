// The catalog schema and its migrations.
#pragma once

#include <sqlite3.h>

#include <filesystem>

namespace certvault::catalog {

inline constexpr int kSchemaVersion = 5;

// Brings the database at `path` to kSchemaVersion in one transaction, or
// refuses a newer one. Records each applied step in `migrations`. An earlier
// `target_version` is for measurements against a released schema (bench/).
void migrate(sqlite3* db, const std::filesystem::path& path, int target_version = kSchemaVersion);

}  // namespace certvault::catalog
