// Retention rules against calendars of synthetic snapshots (no repository needed:
// the planner is a pure function of records, policy and "now").
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "certvault/base/error.h"
#include "certvault/operations/retention.h"

using namespace certvault;
using namespace certvault::retention;

namespace {

int64_t at(const std::string& text) { return parse_time_spec(text, 0); }

struct Calendar {
  std::vector<catalog::SnapshotRecord> records;  // oldest first, like Catalog::snapshots()

  catalog::SnapshotRecord& add(const std::string& name, const std::string& time, const std::string& kind = "full",
                               const std::string& server = "ca1") {
    catalog::SnapshotRecord s;
    s.id = name;
    s.created_unix = at(time);
    s.kind = kind;
    s.server = kind == "folder" ? "" : server;
    s.source = server;
    if (kind == "incremental") {
      for (auto it = records.rbegin(); it != records.rend(); ++it) {
        if (it->kind == "full" && it->server == server) {
          s.base_full = it->id;
          break;
        }
      }
    }
    records.push_back(s);
    return records.back();
  }
};

// id -> (keep, reasons joined)
std::map<std::string, std::pair<bool, std::string>> decisions(const Plan& plan) {
  std::map<std::string, std::pair<bool, std::string>> out;
  for (const auto& group : plan.groups) {
    for (const auto& d : group.decisions) {
      std::string reasons;
      for (const auto& r : d.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
      out[d.snapshot->id] = {d.keep, reasons};
    }
  }
  return out;
}

std::set<std::string> kept(const Plan& plan) {
  std::set<std::string> ids;
  for (const auto& [id, decision] : decisions(plan)) {
    if (decision.first) ids.insert(id);
  }
  return ids;
}

Policy last(uint32_t n) {
  Policy p;
  p.keep_last = n;
  return p;
}

}  // namespace

TEST_CASE("an empty policy is refused rather than forgetting everything") {
  Calendar c;
  c.add("a", "2026-01-01");
  try {
    plan_retention(c.records, Policy{}, at("2026-02-01"));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK_THAT(e.what(), Catch::Contains("empty"));
  }
}

TEST_CASE("keep-last and several snapshots on the same day") {
  Calendar c;
  c.add("d1-a", "2026-01-01T01:00");
  c.add("d1-b", "2026-01-01T09:00");
  c.add("d1-c", "2026-01-01T23:59:59");
  c.add("d2-a", "2026-01-02T00:00");
  Policy p;
  p.keep_daily = 2;
  const auto plan = plan_retention(c.records, p, at("2026-01-03"));
  CHECK(kept(plan) == std::set<std::string>{"d1-c", "d2-a"});
  CHECK(decisions(plan)["d1-c"].second == "daily 2026-01-01");
  CHECK(decisions(plan)["d1-a"].second.empty());
  CHECK(plan.kept() == 2);
  CHECK(plan.removed() == 2);
  CHECK(kept(plan_retention(c.records, last(3), 0)) == std::set<std::string>{"d1-b", "d1-c", "d2-a"});
  Policy hourly;
  hourly.keep_hourly = 10;
  CHECK(kept(plan_retention(c.records, hourly, 0)).size() == 4);  // four distinct hours
}

TEST_CASE("year, month and day buckets across a year boundary") {
  Calendar c;
  c.add("y2024", "2024-06-01");
  c.add("dec31", "2025-12-31T23:59:59");
  c.add("jan1", "2026-01-01T00:00:00");
  Policy yearly;
  yearly.keep_yearly = 2;
  CHECK(kept(plan_retention(c.records, yearly, 0)) == std::set<std::string>{"dec31", "jan1"});
  yearly.keep_yearly = 5;
  CHECK(kept(plan_retention(c.records, yearly, 0)).size() == 3);
  Policy monthly;
  monthly.keep_monthly = 1;
  const auto plan = plan_retention(c.records, monthly, 0);
  CHECK(kept(plan) == std::set<std::string>{"jan1"});
  CHECK(decisions(plan)["jan1"].second == "monthly 2026-01");
  Policy daily;
  daily.keep_daily = 2;
  CHECK(kept(plan_retention(c.records, daily, 0)) == std::set<std::string>{"dec31", "jan1"});
}

TEST_CASE("weekly uses ISO weeks: 2020-W53 spans new year") {
  Calendar c;
  c.add("w52", "2020-12-24");
  c.add("thu-w53", "2020-12-31");
  c.add("sun-w53", "2021-01-03T12:00");
  c.add("mon-w01", "2021-01-04");
  Policy weekly;
  weekly.keep_weekly = 2;
  const auto plan = plan_retention(c.records, weekly, 0);
  CHECK(kept(plan) == std::set<std::string>{"sun-w53", "mon-w01"});
  CHECK(decisions(plan)["sun-w53"].second == "weekly 2020-W53");
  weekly.keep_weekly = 3;
  CHECK(kept(plan_retention(c.records, weekly, 0)) == std::set<std::string>{"w52", "sun-w53", "mon-w01"});
}

TEST_CASE("keep-within: the boundary instant is kept, one second before is not") {
  Calendar c;
  c.add("before", "2026-02-28T11:59:59");
  c.add("edge", "2026-02-28T12:00:00");
  c.add("inside", "2026-03-30");
  Policy p;
  p.keep_within = parse_duration("1m");
  p.keep_within_text = "1m";
  const auto plan = plan_retention(c.records, p, at("2026-03-31T12:00:00"));
  CHECK(kept(plan) == std::set<std::string>{"edge", "inside"});
  CHECK(decisions(plan)["edge"].second == "within 1m");
}

TEST_CASE("keep-tag matches tags exactly, and reasons accumulate") {
  Calendar c;
  c.add("plain", "2026-01-01");
  c.add("monthly", "2026-01-02").tags = {"monthly-archive"};
  c.add("newline", "2026-01-03").tags = {"monthly\narchive"};
  c.add("newest", "2026-01-04").tags = {"monthly"};
  Policy p;
  p.keep_tags = {"monthly"};
  p.keep_last = 1;
  const auto plan = plan_retention(c.records, p, 0);
  CHECK(kept(plan) == std::set<std::string>{"newest"});
  CHECK(decisions(plan)["newest"].second == "last 1; tag monthly");
}

TEST_CASE("rules apply per server and per folder") {
  Calendar c;
  c.add("ca1-old", "2026-01-01", "full", "ca1");
  c.add("ca2-old", "2026-01-02", "full", "ca2");
  c.add("dir-old", "2026-01-03", "folder", "/srv/a");
  c.add("ca1-new", "2026-01-04", "full", "ca1");
  c.add("ca2-new", "2026-01-05", "full", "ca2");
  c.add("dir-new", "2026-01-06", "folder", "/srv/a");
  c.add("other-dir", "2026-01-01", "folder", "/srv/b");
  const auto plan = plan_retention(c.records, last(1), 0);
  CHECK(kept(plan) == std::set<std::string>{"ca1-new", "ca2-new", "dir-new", "other-dir"});
  REQUIRE(plan.groups.size() == 4);
  CHECK(plan.groups[0].name == "folder /srv/a");
  CHECK(plan.groups[2].name == "server ca1");
  CHECK(plan.groups[2].decisions.front().snapshot->id == "ca1-new");  // newest first
}

TEST_CASE("a kept incremental keeps its full and the incrementals before it") {
  Calendar c;
  c.add("F1", "2026-01-01");
  c.add("I1", "2026-01-02", "incremental");
  c.add("I2", "2026-01-03", "incremental").tags = {"keep"};
  c.add("I3", "2026-01-04", "incremental");
  c.add("F2", "2026-01-05");
  c.add("J1", "2026-01-06", "incremental");
  Policy p;
  p.keep_last = 1;
  p.keep_tags = {"keep"};
  const auto plan = plan_retention(c.records, p, 0);
  CHECK(kept(plan) == std::set<std::string>{"F1", "I1", "I2", "F2", "J1"});
  auto d = decisions(plan);
  CHECK(d["J1"].second == "last 1");
  CHECK(d["F2"].second == "chain of J1");
  CHECK(d["I1"].second == "chain of I2");
  CHECK(d["F1"].second == "chain of I2");
  CHECK_FALSE(d["I3"].first);
}

TEST_CASE("no policy ever leaves a kept incremental without its chain (random calendars)") {
  std::mt19937_64 random(42);
  for (int round = 0; round < 200; ++round) {
    Calendar c;
    int64_t t = at("2025-12-20");
    for (int i = 0; i < 40; ++i) {
      t += static_cast<int64_t>(random() % (3 * 86400));
      const std::string server = random() % 3 == 0 ? "ca2" : "ca1";
      const bool has_full = std::any_of(c.records.begin(), c.records.end(),
                                        [&](auto& r) { return r.server == server && r.kind == "full"; });
      const std::string kind = has_full && random() % 4 != 0 ? "incremental" : "full";
      auto& s = c.add(std::string("s").append(std::to_string(i)), "1970-01-01", kind, server);
      s.created_unix = t;
      if (random() % 10 == 0) s.tags = {"keep"};
    }
    Policy p;
    p.keep_last = static_cast<uint32_t>(random() % 3);
    p.keep_daily = static_cast<uint32_t>(random() % 4);
    p.keep_weekly = static_cast<uint32_t>(random() % 3);
    if (random() % 2) p.keep_tags = {"keep"};
    if (p.empty()) p.keep_hourly = 1;
    const auto plan = plan_retention(c.records, p, t);
    const auto keep = kept(plan);
    for (const auto& s : c.records) {
      if (!keep.count(s.id) || s.kind != "incremental") continue;
      INFO("round " << round << ", kept incremental " << s.id);
      REQUIRE(keep.count(*s.base_full));
      for (const auto& earlier : c.records) {
        if (earlier.base_full == s.base_full && earlier.created_unix < s.created_unix) CHECK(keep.count(earlier.id));
      }
    }
  }
}

TEST_CASE("forget by id refuses to orphan an incremental unless the whole chain goes") {
  Calendar c;
  c.add("F1", "2026-01-01");
  c.add("I1", "2026-01-02", "incremental");
  c.add("I2", "2026-01-03", "incremental");
  c.add("other", "2026-01-02", "full", "ca2");
  auto refused = [&](const std::vector<std::string>& ids) {
    try {
      plan_forget_ids(c.records, ids, false);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kRefused);
      CHECK_THAT(e.what(), Catch::Contains("--with-chain"));
      return true;
    }
    return false;
  };
  CHECK(refused({"F1"}));
  CHECK(refused({"I1"}));
  CHECK(refused({"F1", "I1"}));
  CHECK_FALSE(refused({"I2"}));
  CHECK_FALSE(refused({"I1", "I2"}));
  CHECK_FALSE(refused({"F1", "I1", "I2"}));

  const auto chain = plan_forget_ids(c.records, {"F1"}, true);
  const auto removed = chain.removed_ids();
  CHECK(std::set<std::string>(removed.begin(), removed.end()) == std::set<std::string>{"F1", "I1", "I2"});
  CHECK(decisions(chain)["I2"].second == "chain of F1 (--with-chain)");
  CHECK(decisions(chain)["other"].first);
  const auto tail = plan_forget_ids(c.records, {"I1"}, true);
  CHECK(tail.removed() == 2);
  CHECK(decisions(tail)["F1"].first);

  try {
    plan_forget_ids(c.records, {"nope"}, false);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
  }
}
