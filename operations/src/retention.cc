#include "certvault/operations/retention.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "certvault/base/error.h"
#include "certvault/operations/snapshot_chain.h"

namespace certvault::retention {

namespace {

using namespace std::chrono;

constexpr int kMaxDurationPart = 9999;

struct CivilTime {
  year_month_day date;
  seconds time_of_day;
};

sys_days day_of(int64_t unix_seconds) { return floor<days>(sys_seconds{seconds{unix_seconds}}); }

CivilTime civil(int64_t unix_seconds) {
  const sys_seconds instant{seconds{unix_seconds}};
  const sys_days day = floor<days>(instant);
  return {year_month_day{day}, instant - day};
}

int64_t to_unix(sys_days day, seconds time_of_day) { return (day + time_of_day).time_since_epoch().count(); }

// ISO 8601: the week belongs to the year of its Thursday.
std::pair<int, unsigned> iso_year_week(int64_t unix_seconds) {
  const sys_days day = day_of(unix_seconds);
  const unsigned from_monday = (weekday{day}.iso_encoding() - 1);
  const sys_days thursday = day - days{from_monday} + days{3};
  const year iso_year = year_month_day{thursday}.year();
  const sys_days first_day{iso_year / January / 1};
  return {static_cast<int>(iso_year), static_cast<unsigned>((thursday - first_day).count() / 7 + 1)};
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

[[noreturn]] void bad_duration(std::string_view text, const std::string& why) {
  throw Error(ErrorKind::kUsage,
              fmt::format("'{}' is not a duration ({}): use a form like 1y2m3d4h, 30d or 12h", text, why));
}

struct BucketRule {
  const char* name;
  uint32_t Policy::*count;
  std::function<int64_t(int64_t)> key;
  std::function<std::string(int64_t)> label;
};

const std::vector<BucketRule>& bucket_rules() {
  static const std::vector<BucketRule> rules = {
      {"hourly", &Policy::keep_hourly,
       [](int64_t t) { return static_cast<int64_t>(floor<hours>(sys_seconds{seconds{t}}).time_since_epoch().count()); },
       [](int64_t t) {
         const auto c = civil(t);
         return fmt::format("{:04}-{:02}-{:02} {:02}h", static_cast<int>(c.date.year()),
                            static_cast<unsigned>(c.date.month()), static_cast<unsigned>(c.date.day()),
                            c.time_of_day.count() / 3600);
       }},
      {"daily", &Policy::keep_daily,
       [](int64_t t) { return static_cast<int64_t>(day_of(t).time_since_epoch().count()); },
       [](int64_t t) {
         const auto c = civil(t);
         return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(c.date.year()), static_cast<unsigned>(c.date.month()),
                            static_cast<unsigned>(c.date.day()));
       }},
      {"weekly", &Policy::keep_weekly,
       [](int64_t t) {
         const auto [y, w] = iso_year_week(t);
         return int64_t{y} * 100 + w;
       },
       [](int64_t t) { return iso_week(t); }},
      {"monthly", &Policy::keep_monthly,
       [](int64_t t) {
         const auto c = civil(t);
         return int64_t{static_cast<int>(c.date.year())} * 12 + static_cast<unsigned>(c.date.month());
       },
       [](int64_t t) {
         const auto c = civil(t);
         return fmt::format("{:04}-{:02}", static_cast<int>(c.date.year()), static_cast<unsigned>(c.date.month()));
       }},
      {"yearly", &Policy::keep_yearly, [](int64_t t) { return int64_t{static_cast<int>(civil(t).date.year())}; },
       [](int64_t t) { return fmt::format("{:04}", static_cast<int>(civil(t).date.year())); }},
  };
  return rules;
}

// Records grouped, each group newest first.
std::map<std::string, std::vector<const catalog::SnapshotRecord*>> grouped(
    const std::vector<catalog::SnapshotRecord>& snapshots, GroupBy group_by = GroupBy::kSource) {
  std::map<std::string, std::vector<const catalog::SnapshotRecord*>> groups;
  // Walk newest first; the input order (oldest first) breaks ties of equal times.
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) groups[group_of(*it, group_by)].push_back(&*it);
  for (auto& [name, members] : groups) {
    std::stable_sort(members.begin(), members.end(),
                     [](auto* a, auto* b) { return catalog::order_key(*a) > catalog::order_key(*b); });
  }
  return groups;
}

// The walker over one group's members (given newest first; ties broken as the catalog orders them).
SnapshotChains chains_of(const std::vector<const catalog::SnapshotRecord*>& newest_first) {
  return SnapshotChains(std::vector<const catalog::SnapshotRecord*>(newest_first.rbegin(), newest_first.rend()));
}

}  // namespace

std::string group_of(const catalog::SnapshotRecord& snapshot, GroupBy group_by) {
  const bool folder = snapshot.kind == "folder" || snapshot.server.empty();
  switch (group_by) {
    case GroupBy::kSource:
      return folder ? "folder " + snapshot.source : "server " + snapshot.source;
    case GroupBy::kServer:
      return folder ? std::string("folder snapshots") : "server " + snapshot.server;
    case GroupBy::kTag: {
      if (snapshot.tags.empty()) return "no tags";
      auto tags = snapshot.tags;
      std::sort(tags.begin(), tags.end());
      tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
      std::string name = "tags ";
      for (size_t i = 0; i < tags.size(); ++i) name += (i ? "," : "") + tags[i];
      return name;
    }
    case GroupBy::kNone:
      break;
  }
  return "all";
}

GroupBy parse_group_by(std::string_view text) {
  if (text == "source") return GroupBy::kSource;
  if (text == "server") return GroupBy::kServer;
  if (text == "tag") return GroupBy::kTag;
  if (text == "none") return GroupBy::kNone;
  throw Error(ErrorKind::kUsage, fmt::format("--group-by {}: use source, server, tag or none", text));
}

std::string lone_series_warning(const Plan& plan) {
  if (plan.groups.size() < 2) return "";
  for (const auto& group : plan.groups) {
    if (group.decisions.size() != 1) return "";
  }
  return fmt::format("each snapshot is its own series ({} groups of one snapshot): use --source or --group-by",
                     plan.groups.size());
}

std::string iso_week(int64_t unix_seconds) {
  const auto [y, w] = iso_year_week(unix_seconds);
  return fmt::format("{:04}-W{:02}", y, w);
}

CalendarDuration parse_duration(std::string_view text) {
  if (text.empty()) bad_duration(text, "it is empty");
  CalendarDuration duration;
  const std::string_view units = "ymdh";
  size_t next_unit = 0;
  size_t position = 0;
  while (position < text.size()) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data() + position, text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() + position) bad_duration(text, "expected a number");
    position = static_cast<size_t>(end - text.data());
    if (value < 0 || value > kMaxDurationPart)
      bad_duration(text, fmt::format("{} is above {}", value, kMaxDurationPart));
    if (position == text.size()) bad_duration(text, "a number lacks its unit y, m, d or h");
    const size_t unit = units.find(text[position], next_unit);
    if (unit == std::string_view::npos) {
      bad_duration(text, units.find(text[position]) == std::string_view::npos
                             ? fmt::format("unknown unit '{}'", text[position])
                             : "units must appear once each, in the order y m d h");
    }
    int* const parts[] = {&duration.years, &duration.months, &duration.days, &duration.hours};
    *parts[unit] = value;
    next_unit = unit + 1;
    ++position;
  }
  return duration;
}

int64_t subtract(int64_t unix_seconds, const CalendarDuration& duration) {
  const auto c = civil(unix_seconds);
  year_month_day date = c.date - months{duration.years * 12 + duration.months};
  if (!date.ok()) date = date.year() / date.month() / last;  // 03-31 minus a month is 02-28/29
  return to_unix(sys_days{date}, c.time_of_day) - int64_t{duration.days} * 86400 - int64_t{duration.hours} * 3600;
}

int64_t parse_time_spec(std::string_view text, int64_t now) {
  const bool looks_like_date = text.size() >= 10 && text[4] == '-' && text[7] == '-';
  if (!looks_like_date) {
    try {
      return subtract(now, parse_duration(text));
    } catch (const Error&) {
      throw Error(ErrorKind::kUsage,
                  fmt::format("'{}' is not a time: use an ISO date (2026-11-24), a UTC date and time "
                              "(2026-11-24T10:30:00Z) or a duration before now (7d, 1m, 12h)",
                              text));
    }
  }
  auto fail = [&](const std::string& why) -> int64_t {
    throw Error(ErrorKind::kUsage,
                fmt::format("'{}' is not a time ({}): use 2026-11-24, 2026-11-24T10:30[:00][Z] or a duration like 7d",
                            text, why));
  };
  auto number = [&](size_t at, size_t digits) {
    int value = 0;
    if (at + digits > text.size()) fail("it ends early");
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + digits, value);
    if (ec != std::errc() || end != text.data() + at + digits) fail("expected digits");
    return value;
  };
  const year_month_day date{year{number(0, 4)}, month{static_cast<unsigned>(number(5, 2))},
                            day{static_cast<unsigned>(number(8, 2))}};
  if (!date.ok()) fail("no such date");
  int h = 0, m = 0, s = 0;
  size_t position = 10;
  if (position < text.size() && (text[position] == 'T' || text[position] == ' ')) {
    h = number(position + 1, 2);
    if (position + 3 >= text.size() || text[position + 3] != ':') fail("expected HH:MM");
    m = number(position + 4, 2);
    position += 6;
    if (position < text.size() && text[position] == ':') {
      s = number(position + 1, 2);
      position += 3;
    }
    if (h > 23 || m > 59 || s > 59) fail("no such time of day");
  }
  if (position < text.size() && text[position] == 'Z') ++position;
  if (position != text.size()) fail("unexpected text after the date");
  return to_unix(sys_days{date}, seconds{h * 3600 + m * 60 + s});
}

bool Policy::empty() const {
  return keep_last == 0 && keep_hourly == 0 && keep_daily == 0 && keep_weekly == 0 && keep_monthly == 0 &&
         keep_yearly == 0 && !keep_within && keep_tags.empty();
}

size_t Plan::kept() const {
  size_t n = 0;
  for (const auto& group : groups)
    n += std::count_if(group.decisions.begin(), group.decisions.end(), [](auto& d) { return d.keep; });
  return n;
}

size_t Plan::removed() const {
  size_t n = 0;
  for (const auto& group : groups) n += group.decisions.size();
  return n - kept();
}

std::vector<std::string> Plan::removed_ids() const {
  std::vector<std::string> ids;
  for (const auto& group : groups) {
    for (const auto& decision : group.decisions) {
      if (!decision.keep) ids.push_back(decision.snapshot->id);
    }
  }
  return ids;
}

Plan plan_retention(const std::vector<catalog::SnapshotRecord>& snapshots, const Policy& policy, int64_t now,
                    GroupBy group_by) {
  if (policy.empty()) {
    throw Error(ErrorKind::kUsage,
                "the retention policy is empty: it would forget every snapshot; give at least one --keep-* rule");
  }
  const bool has_within = policy.keep_within.has_value();
  const int64_t within_start = has_within ? subtract(now, *policy.keep_within) : 0;
  Plan plan;
  for (const auto& [name, members] : grouped(snapshots, group_by)) {
    Group group{name, {}};
    for (const auto* s : members) group.decisions.push_back({s, false, {}});
    auto keep = [&](size_t i, std::string reason) {
      group.decisions[i].keep = true;
      group.decisions[i].reasons.push_back(std::move(reason));
    };
    for (size_t i = 0; i < members.size() && i < policy.keep_last; ++i) {
      keep(i, fmt::format("last {}", policy.keep_last));
    }
    for (const auto& rule : bucket_rules()) {
      uint32_t remaining = policy.*rule.count;
      std::optional<int64_t> previous;
      for (size_t i = 0; i < members.size() && remaining > 0; ++i) {
        const int64_t bucket = rule.key(members[i]->created_unix);
        if (previous && *previous == bucket) continue;
        previous = bucket;
        keep(i, fmt::format("{} {}", rule.name, rule.label(members[i]->created_unix)));
        --remaining;
      }
    }
    for (size_t i = 0; i < members.size(); ++i) {
      if (has_within && members[i]->created_unix >= within_start) keep(i, "within " + policy.keep_within_text);
      for (const auto& tag : policy.keep_tags) {
        if (std::find(members[i]->tags.begin(), members[i]->tags.end(), tag) != members[i]->tags.end()) {
          keep(i, "tag " + tag);
        }
      }
    }
    plan.groups.push_back(std::move(group));
  }
  // Chains last, over every record: a chain may span groups (by tag, by server). Only the newest
  // kept link of a chain matters: it needs everything older, so each link kept for the chain names
  // the newest snapshot that needs it. Linear in the records.
  std::unordered_map<const catalog::SnapshotRecord*, Decision*> decision_of;
  for (auto& group : plan.groups) {
    for (auto& decision : group.decisions) decision_of[decision.snapshot] = &decision;
  }
  std::vector<const catalog::SnapshotRecord*> oldest_first;
  for (const auto& record : snapshots) oldest_first.push_back(&record);
  std::stable_sort(oldest_first.begin(), oldest_first.end(),
                   [](auto* a, auto* b) { return catalog::order_key(*a) < catalog::order_key(*b); });
  const SnapshotChains chains(std::move(oldest_first));
  for (const auto& chain : chains.chains()) {
    const auto& links = chain.incrementals;
    auto newest_kept = std::find_if(links.rbegin(), links.rend(),
                                    [&](const catalog::SnapshotRecord* link) { return decision_of.at(link)->keep; });
    if (newest_kept == links.rend()) continue;
    const std::string reason = "chain of " + short_id((*newest_kept)->id);
    auto keep_for_chain = [&](const catalog::SnapshotRecord* record) {
      auto& decision = *decision_of.at(record);
      if (decision.keep) return;
      decision.keep = true;
      decision.reasons.push_back(reason);
    };
    for (auto link = std::next(newest_kept); link != links.rend(); ++link) keep_for_chain(*link);
    if (chain.full != nullptr) keep_for_chain(chain.full);
  }
  return plan;
}

Plan plan_forget_ids(const std::vector<catalog::SnapshotRecord>& snapshots, const std::vector<std::string>& ids,
                     bool with_chain) {
  std::set<std::string> named(ids.begin(), ids.end());
  std::set<std::string> known;
  for (const auto& s : snapshots) known.insert(s.id);
  for (const auto& id : named) {
    if (!known.count(id)) throw Error(ErrorKind::kUsage, fmt::format("no snapshot has id {}", id));
  }
  Plan plan;
  for (const auto& [name, members] : grouped(snapshots)) {
    const auto chains = chains_of(members);
    std::map<const catalog::SnapshotRecord*, std::string> removal;  // snapshot -> reason
    for (const auto* s : members) {
      if (named.count(s->id)) removal[s] = "named";
    }
    std::vector<std::string> orphans;
    for (const auto* s : members) {
      if (!named.count(s->id)) continue;
      for (const auto* dependent : chains.dependents_of(s->id)) {
        if (removal.count(dependent)) continue;
        if (with_chain) {
          removal[dependent] = "chain of " + short_id(s->id) + " (--with-chain)";
        } else {
          orphans.push_back(fmt::format("{} ({} {})", short_id(dependent->id), dependent->kind, short_id(s->id)));
        }
      }
    }
    if (!orphans.empty()) {
      std::string list;
      for (size_t i = 0; i < orphans.size() && i < 5; ++i) list += (i ? ", " : "") + orphans[i];
      throw Error(ErrorKind::kRefused,
                  fmt::format("refusing to forget: {} kept incremental(s) of {} would no longer be restorable "
                              "(dependent, needed snapshot): {}{}; forget the whole chain with --with-chain",
                              orphans.size(), name, list, orphans.size() > 5 ? ", ..." : ""));
    }
    Group group{name, {}};
    for (const auto* s : members) {
      const auto removed = removal.find(s);
      if (removed == removal.end()) {
        group.decisions.push_back({s, true, {"not named"}});
      } else {
        group.decisions.push_back({s, false, {removed->second}});
      }
    }
    plan.groups.push_back(std::move(group));
  }
  return plan;
}

}  // namespace certvault::retention
