// Log truncations as repository objects (docs/format.md §4.3), so that `repair catalog` rebuilds
// them and a crash between asking the CA to truncate and recording the outcome leaves a trace.
//
// Contract:
// - record_truncation_intent() is called after the snapshot commits and before
//   CertSrvBackupTruncateLogs: it writes `truncations/<snapshot id>.intent` (durable when it
//   returns: the object store's protocol) and a catalog row with outcome "unknown" ("logs may
//   have been truncated").
// - record_truncation_outcome() writes `truncations/<snapshot id>.outcome`, then replaces the
//   catalog's "unknown" row with the outcome ("truncated" or "failed").
// - read_truncation_objects() gives the records the objects hold, for `repair catalog`: an
//   outcome where there is one, else the intent as "unknown"; ordered by time, then snapshot id.
//   Objects that cannot be read are reported in `problems` and skipped.
// - Truncation objects are history: forget and prune never remove them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault {

class Repository;
class ObjectStore;

inline constexpr const char* kTruncationMayHaveHappened =
    "logs may have been truncated: certvault stopped after asking the CA to truncate them and before recording "
    "the outcome";

void record_truncation_intent(Repository& repository, const std::string& snapshot_id, int64_t time_unix);
void record_truncation_outcome(Repository& repository, const catalog::TruncationRecord& record);
// `wanted`, when given, picks the object names to read (the catalog cache of a remote repository
// reads only those it lacks).
std::vector<catalog::TruncationRecord> read_truncation_objects(
    const ObjectStore& objects, std::vector<std::string>& problems,
    const std::function<bool(const std::string& name)>& wanted = {});

}  // namespace certvault
