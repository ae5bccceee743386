// The JSON shape of a snapshot record, shared by `snapshots`, `show` and
// `forget` so that scripts see one set of field names (docs/user-guide.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "certvault/catalog/catalog.h"

namespace certvault::cli {

nlohmann::json snapshot_json(const catalog::SnapshotRecord& snapshot);
// "0x1A-0x1F", or "-" when the snapshot has no logs.
std::string log_generations(const catalog::SnapshotRecord& snapshot);
// "CA @ server" for server snapshots, the folder for folder snapshots.
std::string origin(const catalog::SnapshotRecord& snapshot);
std::string hex_digest(const catalog::Digest& digest);
int64_t unix_now();

}  // namespace certvault::cli
