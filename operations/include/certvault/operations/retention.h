// Retention planning: which snapshots a policy keeps, which it removes, and why.
//
// Contract:
// - plan_retention() is a pure function of the snapshot records, the policy and
//   a reference time `now`; it reads no clock and touches no repository.
// - Snapshots are grouped (restic's --group-by): by default by series (their
//   `source`: the server name for full and incremental snapshots, the folder as
//   given or the --source name for folder snapshots); or by server, by tag set,
//   or not at all. Every rule applies inside each group on its own; groups are
//   ordered by name, members newest first by (time, commit sequence).
// - All calendar arithmetic is UTC (no time zones, no DST). Buckets: hour,
//   day, ISO 8601 week (weeks start on Monday; week 1 holds the year's first
//   Thursday, so 2020-12-31 is in 2020-W53 and 2021-01-03 too), month, year.
//   keep-<bucket> N keeps the newest snapshot of each of the N newest buckets
//   that hold a snapshot. keep-last N keeps the N newest. keep-within D keeps
//   every snapshot taken at or after now - D. keep-tag T keeps every snapshot
//   that carries tag T exactly.
// - Chain awareness: a kept incremental keeps its base full and every
//   incremental of the same chain before it (chains as snapshot_chain.h
//   defines them, over all records, whatever the grouping), with the reason
//   "chain of <id>". The result never keeps an incremental whose base full or an
//   earlier link of its chain is removed.
// - An empty policy is refused (Error kUsage): it would remove everything.
// - plan_forget_ids() removes named snapshots. It refuses (Error kRefused) to
//   remove a full or an incremental that a kept incremental needs, unless
//   `with_chain` is set, in which case every dependent incremental is removed
//   too. Unknown ids are Error kUsage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certvault/catalog/catalog.h"

namespace certvault::retention {

// A calendar duration such as "1y2m3d4h": months and years are calendar
// months (2026-03-31 minus 1m is 2026-02-28), days are 24 h, hours 3600 s.
struct CalendarDuration {
  int years = 0, months = 0, days = 0, hours = 0;
  bool operator==(const CalendarDuration&) const = default;
};

// Parses "<n>y<n>m<n>d<n>h" (each part optional, at least one, in this order,
// n decimal, at most 9999). Throws Error(kUsage) naming the text otherwise.
CalendarDuration parse_duration(std::string_view text);
// `unix_seconds` moved back by `duration` in UTC calendar arithmetic.
int64_t subtract(int64_t unix_seconds, const CalendarDuration& duration);
// An instant given as an ISO date "2026-11-24", date and time
// "2026-11-24T10:30[:15][Z]" (a space may replace the T; always UTC), or a
// duration before `now` ("7d", "1m2d"). Throws Error(kUsage) otherwise.
int64_t parse_time_spec(std::string_view text, int64_t now);
// "2026-W48" for the ISO week of an instant.
std::string iso_week(int64_t unix_seconds);

struct Policy {
  uint32_t keep_last = 0, keep_hourly = 0, keep_daily = 0, keep_weekly = 0, keep_monthly = 0, keep_yearly = 0;
  std::optional<CalendarDuration> keep_within;
  std::string keep_within_text;  // as given, for the reasons printed
  std::vector<std::string> keep_tags;
  bool empty() const;
};

struct Decision {
  const catalog::SnapshotRecord* snapshot = nullptr;  // points into the caller's records
  bool keep = false;
  std::vector<std::string> reasons;  // rules that decided; empty for "no rule keeps it"
};

struct Group {
  std::string name;                 // "server <name>" or "folder <path>"
  std::vector<Decision> decisions;  // newest first
};

struct Plan {
  std::vector<Group> groups;  // ordered by name
  size_t kept() const;
  size_t removed() const;
  std::vector<std::string> removed_ids() const;
};

enum class GroupBy { kSource, kServer, kTag, kNone };
// "source", "server", "tag" or "none"; Error(kUsage) otherwise.
GroupBy parse_group_by(std::string_view text);

// `snapshots` must outlive the plan (decisions point into it).
Plan plan_retention(const std::vector<catalog::SnapshotRecord>& snapshots, const Policy& policy, int64_t now,
                    GroupBy group_by = GroupBy::kSource);
Plan plan_forget_ids(const std::vector<catalog::SnapshotRecord>& snapshots, const std::vector<std::string>& ids,
                     bool with_chain);

// The group a snapshot belongs to (see above): "server <name>" or "folder <source>" by source,
// "server <name>" or "folder snapshots" by server, "tags <t1,t2>" or "no tags" by tag, "all" for none.
std::string group_of(const catalog::SnapshotRecord& snapshot, GroupBy group_by = GroupBy::kSource);

// The warning forget prints when a plan gives every snapshot a group of its own (two or more
// groups): each snapshot then is its own series and no rule removes anything. Empty otherwise.
std::string lone_series_warning(const Plan& plan);

}  // namespace certvault::retention
