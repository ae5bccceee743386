#include "certvault/operations/apply_forget.h"

#include "certvault/base/error.h"
#include "certvault/repository/snapshot_forget.h"

namespace certvault {

void check_forget_request(const ForgetRequest& request) {
  if (!request.ids.empty() && !request.policy.empty()) {
    throw Error(ErrorKind::kUsage, "give either snapshot ids or --keep-* rules, not both");
  }
  if (request.ids.empty() && request.policy.empty()) {
    throw Error(ErrorKind::kUsage,
                "forget needs snapshot ids or at least one --keep-* rule: an empty policy would forget everything");
  }
}

LockMode forget_lock_mode(const ForgetRequest& request) {
  return request.dry_run && !request.prune ? LockMode::kShared : LockMode::kExclusive;
}

ForgetResult apply_forget(Repository& repository, const ForgetRequest& request) {
  check_forget_request(request);
  ForgetResult result;
  catalog::SnapshotFilter filter;
  filter.source = request.source;
  result.snapshots =
      std::make_shared<const std::vector<catalog::SnapshotRecord>>(repository.catalog().snapshots(filter));
  if (request.ids.empty()) {
    result.plan = retention::plan_retention(*result.snapshots, request.policy, request.now, request.group_by);
    result.warning = retention::lone_series_warning(result.plan);
  } else {
    std::vector<std::string> ids;
    for (const auto& spec : request.ids) {
      const bool full_id = spec.size() == 32 && spec.find_first_not_of("0123456789abcdef") == std::string::npos;
      if (full_id && !repository.catalog().has_snapshot(spec)) {
        result.manifest_only_ids.push_back(spec);  // forget_snapshots() says if there is no manifest either
        continue;
      }
      ids.push_back(repository.resolve(spec));
    }
    result.plan = retention::plan_forget_ids(*result.snapshots, ids, request.with_chain);
  }
  result.removed_ids = result.plan.removed_ids();
  if (!request.dry_run && !result.removed_ids.empty()) forget_snapshots(repository, result.removed_ids);
  if (!request.dry_run && !result.manifest_only_ids.empty()) forget_snapshots(repository, result.manifest_only_ids);
  if (request.on_planned) request.on_planned(result.plan);
  if (request.prune) {
    PruneOptions prune;
    prune.dry_run = request.dry_run;
    if (request.dry_run) prune.assume_forgotten = result.removed_ids;
    result.prune = prune_repository(repository, prune);
  }
  return result;
}

}  // namespace certvault
