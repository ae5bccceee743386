// Printing a PruneReport: shared by `prune` and `forget --prune`.
#pragma once

#include <nlohmann/json.hpp>

#include "certvault/repository/prune.h"

namespace certvault::cli {

nlohmann::json prune_report_json(const PruneReport& report);
// A few readable lines on stdout ("would ..." for a dry run).
void print_prune_report(const PruneReport& report);

}  // namespace certvault::cli
