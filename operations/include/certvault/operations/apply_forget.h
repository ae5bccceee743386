// `certvault forget` as one operation: plan which snapshots go (by a retention policy or by id),
// forget them, then prune if asked.
//
// Contract:
// - check_forget_request() refuses (Error kUsage) ids together with rules, and a request with
//   neither (an empty policy would forget everything). It reads nothing: callers run it before
//   they open the repository, so a bad command line touches nothing.
// - forget_lock_mode() is the lock apply_forget() needs: shared for a dry run without prune (it
//   only reads), exclusive otherwise (prune takes it even for a dry run).
// - apply_forget() checks the request again, resolves the ids (Repository::resolve), plans with
//   retention.h (chains kept or refused as it says), forgets the removed snapshots unless dry_run
//   (repository/snapshot_forget.h), calls on_planned(plan) — before the prune, which may take long,
//   so that the plan can be shown first — and then prunes (a dry-run prune for a dry run).
// - A full 32-digit id that the catalog does not know but that names a manifest object (a snapshot
//   `repair catalog` could not rebuild, whose damaged manifest makes prune refuse) is forgotten by
//   removing that manifest: it is listed in `manifest_only_ids`, not in the plan.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/operations/retention.h"
#include "certvault/repository/prune.h"
#include "certvault/repository/repository.h"

namespace certvault {

struct ForgetRequest {
  retention::Policy policy;      // the rules; empty when ids are given
  std::vector<std::string> ids;  // snapshot ids, unique prefixes or 'latest'; empty when rules are given
  bool with_chain = false;       // with ids: also forget the incrementals that need a named snapshot
  bool dry_run = false;
  bool prune = false;
  std::optional<std::string> source;                          // only snapshots of this series are considered
  retention::GroupBy group_by = retention::GroupBy::kSource;  // with rules
  int64_t now = 0;                                            // reference time of the rules, UTC seconds
  std::function<void(const retention::Plan&)> on_planned;     // optional
};

struct ForgetResult {
  std::shared_ptr<const std::vector<catalog::SnapshotRecord>> snapshots;  // what the plan's decisions point into
  retention::Plan plan;
  std::vector<std::string> removed_ids;        // forgotten, or that would be for a dry run
  std::vector<std::string> manifest_only_ids;  // not in the catalog: only their manifest objects go
  std::optional<PruneReport> prune;            // when the request asked for a prune
  std::string warning;                         // retention::lone_series_warning() of the plan, if any
};

void check_forget_request(const ForgetRequest& request);
LockMode forget_lock_mode(const ForgetRequest& request);
ForgetResult apply_forget(Repository& repository, const ForgetRequest& request);

}  // namespace certvault
