#include "certvault/operations/repository_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "certvault/base/utc_time.h"
#include "certvault/operations/log_chain.h"
#include "certvault/operations/snapshot_chain.h"
#include "certvault/repository/repository.h"

namespace certvault {
namespace {

std::string short_id(const std::string& id) { return id.substr(0, 12); }

SnapshotPoint point_of(const catalog::SnapshotRecord& record, int64_t now) {
  SnapshotPoint point;
  point.id = record.id;
  point.source = record.source;
  point.kind = record.kind;
  point.created_unix = record.created_unix;
  point.age_seconds = now - record.created_unix;
  point.added_bytes = record.added_size;
  point.logical_bytes = record.logical_size;
  return point;
}

void add_reason(SeriesStatus& series, Verdict verdict, std::string reason) {
  series.verdict = std::max(series.verdict, verdict);
  series.reasons.push_back(std::move(reason));
}

// The chain the newest CA snapshot of a series restores from: present links, contiguous logs.
ChainStatus chain_status(const std::vector<const catalog::SnapshotRecord*>& records) {
  ChainStatus status;
  const catalog::SnapshotRecord* target = nullptr;
  for (const auto* record : records) {
    if (record->kind == "full" || record->kind == "incremental") target = record;
  }
  if (target == nullptr) return status;
  status.applicable = true;
  const SnapshotChains chains(records);
  const auto restore = chains.restore_chain(target->id);
  if (restore.full != nullptr) status.full_id = restore.full->id;
  status.incrementals = restore.incrementals.size() + (target->kind == "incremental" ? 1 : 0);
  if (!restore.broken.empty()) {
    status.detail = restore.broken;
    return status;
  }
  const catalog::SnapshotRecord* previous = restore.full;
  if (!previous->gen_high || !previous->gen_low) {
    status.detail = fmt::format("full snapshot {} records no log generations", short_id(previous->id));
    return status;
  }
  status.gen_low = previous->gen_low;
  status.gen_high = previous->gen_high;
  std::vector<const catalog::SnapshotRecord*> links = restore.incrementals;
  if (target->kind == "incremental") links.push_back(target);
  for (const auto* link : links) {
    if (!link->gen_low || !link->gen_high) {
      status.detail = fmt::format("incremental snapshot {} records no log generations", short_id(link->id));
      return status;
    }
    const auto continuation = check_continuation(*previous->gen_high, {*link->gen_low, *link->gen_high});
    if (!continuation.continues) {
      status.detail =
          fmt::format("log generations {} are in neither snapshot {} nor incremental {}: the chain is broken there",
                      describe_gaps(continuation.missing), short_id(previous->id), short_id(link->id));
      return status;
    }
    status.gen_high = std::max(*status.gen_high, *link->gen_high);
    previous = link;
  }
  status.intact = true;
  status.detail =
      fmt::format("full {} and {} incremental{}, log generations 0x{:X}-0x{:X}", short_id(status.full_id),
                  status.incrementals, status.incrementals == 1 ? "" : "s", *status.gen_low, *status.gen_high);
  return status;
}

bool is_truncation_failure(const catalog::TruncationRecord& record) {
  return record.outcome == "failed" || record.outcome == "unknown";
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "OK";
    case Verdict::kWarning:
      return "WARNING";
    case Verdict::kCritical:
      return "CRITICAL";
    case Verdict::kUnknown:
      break;
  }
  return "UNKNOWN";
}

std::string format_age(int64_t seconds) {
  if (seconds < 0) return "in the future";
  const int64_t days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60;
  if (days > 0) return hours > 0 ? fmt::format("{}d {}h", days, hours) : fmt::format("{}d", days);
  if (hours > 0) return minutes > 0 ? fmt::format("{}h {}m", hours, minutes) : fmt::format("{}h", hours);
  if (minutes > 0) return fmt::format("{}m", minutes);
  return fmt::format("{}s", seconds);
}

RepositoryStatus compute_status(Repository& repository, const StatusOptions& options) {
  const int64_t now = options.now_unix;
  RepositoryStatus status;
  status.now_unix = now;
  status.warn_age = options.warn_age_text;
  status.crit_age = options.crit_age_text;
  const auto& catalog = repository.catalog();
  const auto packs = catalog.pack_totals();
  status.pack_bytes = packs.bytes;
  status.packs = packs.packs;
  status.catalog_bytes = catalog.size_on_disk();

  const auto all = catalog.snapshots();  // oldest first
  status.snapshots = all.size();
  uint64_t stored = 0;
  for (const auto& record : all) {
    auto point = point_of(record, now);
    stored += record.added_size;
    point.stored_after = stored;
    status.growth.push_back(std::move(point));
  }

  // Series in the order of their first snapshot.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const catalog::SnapshotRecord*>> by_source;
  for (const auto& record : all) {
    if (options.source && record.source != *options.source) continue;
    auto& members = by_source[record.source];
    if (members.empty()) order.push_back(record.source);
    members.push_back(&record);
  }

  const auto outcomes = read_outcome_objects(repository.objects(), status.problems);
  const auto truncations = catalog.all_truncations();
  std::unordered_map<std::string, std::vector<const catalog::TruncationRecord*>> truncations_of;
  for (const auto& record : truncations) truncations_of[record.snapshot_id].push_back(&record);

  const int64_t warn_before = retention::subtract(now, options.warn_age);
  const int64_t crit_before = retention::subtract(now, options.crit_age);

  for (const auto& source : order) {
    const auto& records = by_source[source];
    SeriesStatus series;
    series.source = source;
    series.snapshots = records.size();
    series.latest = point_of(*records.back(), now);
    std::unordered_set<std::string> ids;
    for (const auto* record : records) {
      ids.insert(record->id);
      series.added_bytes_total += record->added_size;
      if (record->kind == "full" || record->kind == "incremental") {
        series.ca = true;
        series.server = record->server;
        series.ca_name = record->ca_name;
      }
      if (record->kind == "full" || record->kind == "folder") series.last_full = point_of(*record, now);
      if (record->kind == "incremental") series.last_incremental = point_of(*record, now);
    }
    const size_t first_recent = records.size() > options.recent ? records.size() - options.recent : 0;
    for (size_t i = first_recent; i < records.size(); ++i) series.recent.push_back(point_of(*records[i], now));

    // Age of the newest snapshot.
    const auto& latest = *records.back();
    const std::string age_text = fmt::format("newest snapshot {} ({}) is {} old", short_id(latest.id),
                                             format_utc(latest.created_unix), format_age(series.latest.age_seconds));
    if (latest.created_unix < crit_before) {
      add_reason(series, Verdict::kCritical, fmt::format("{} (critical after {})", age_text, options.crit_age_text));
    } else if (latest.created_unix < warn_before) {
      add_reason(series, Verdict::kWarning, fmt::format("{} (warning after {})", age_text, options.warn_age_text));
    }

    // The chain from the last full.
    series.chain = chain_status(records);
    if (series.chain.applicable && !series.chain.intact) {
      add_reason(series, Verdict::kCritical, "chain broken: " + series.chain.detail);
    }

    // The CA key the restoring full records as not stored (backup --with-key, recovery_set.h).
    if (!series.chain.full_id.empty()) {
      for (const auto& missing : catalog.missing_files(series.chain.full_id)) {
        if (missing.path.starts_with("Config/") && missing.path.ends_with(".p12")) {
          series.ca_key = fmt::format("full snapshot {} holds no {}: {}", short_id(series.chain.full_id), missing.path,
                                      missing.reason);
        }
      }
    }

    // The last verification that covered one of its snapshots.
    for (auto it = outcomes.rbegin(); it != outcomes.rend(); ++it) {
      if (std::any_of(it->snapshots.begin(), it->snapshots.end(), [&](const auto& id) { return ids.contains(id); })) {
        series.last_verification = *it;
        break;
      }
    }
    if (series.last_verification && !series.last_verification->ok()) {
      const auto& outcome = *series.last_verification;
      add_reason(series, Verdict::kCritical,
                 fmt::format("last verification `{}` failed at {}: {}", outcome.command,
                             format_utc(outcome.time_us / 1000000), outcome.error));
    }

    // Truncation failures that no later good backup followed: a backup of the series after them
    // with no failed or unknown truncation of its own clears them.
    for (const auto* record : records) {
      const auto found = truncations_of.find(record->id);
      bool failed = false;
      if (found != truncations_of.end()) {
        for (const auto* truncation : found->second) {
          if (!is_truncation_failure(*truncation)) continue;
          failed = true;
          series.open_truncation_failures.push_back(*truncation);
        }
      }
      if (!failed) series.open_truncation_failures.clear();
    }
    for (const auto& record : series.open_truncation_failures) {
      add_reason(series, Verdict::kWarning,
                 record.outcome == "unknown"
                     ? fmt::format("log truncation after snapshot {} has no recorded outcome (logs may have been "
                                   "truncated) and no good backup followed",
                                   short_id(record.snapshot_id))
                     : fmt::format("log truncation after snapshot {} failed at {} and no good backup followed (the CA "
                                   "keeps its logs until one does): {}",
                                   short_id(record.snapshot_id), format_utc(record.time_unix), record.message));
    }
    status.series.push_back(std::move(series));
  }

  std::vector<std::string> reasons;
  for (const auto& series : status.series) {
    status.verdict = std::max(status.verdict, series.verdict);
  }
  if (status.series.empty()) {
    status.verdict = Verdict::kCritical;
    status.summary = options.source ? fmt::format("no snapshot of series {} in the repository", *options.source)
                                    : "no snapshot in the repository";
    return status;
  }
  for (const auto& series : status.series) {
    if (series.verdict != status.verdict) continue;
    for (const auto& reason : series.reasons) reasons.push_back(fmt::format("{}: {}", series.source, reason));
  }
  if (status.verdict == Verdict::kOk) {
    int64_t oldest_newest = 0;
    for (const auto& series : status.series) oldest_newest = std::max(oldest_newest, series.latest.age_seconds);
    const bool chains = std::any_of(status.series.begin(), status.series.end(),
                                    [](const auto& series) { return series.chain.applicable; });
    status.summary = fmt::format("{} series, the newest snapshot of each at most {} old{}", status.series.size(),
                                 format_age(oldest_newest), chains ? ", chains intact" : "");
  } else {
    for (const auto& reason : reasons) {
      if (!status.summary.empty()) status.summary += "; ";
      status.summary += reason;
    }
  }
  return status;
}

}  // namespace certvault
