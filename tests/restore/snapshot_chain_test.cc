// The one chain walker (snapshot_chain.h) on synthetic snapshot records: no repository needed.
#include "certvault/operations/snapshot_chain.h"

#include <catch2/catch.hpp>

using namespace certvault;

namespace {

// Snapshot records built the way backups record them: a full's chain continues with
// incrementals whose parent is the snapshot before them.
struct History {
  std::vector<catalog::SnapshotRecord> records;  // oldest first, as Catalog::snapshots() returns them

  catalog::SnapshotRecord& full(const std::string& id, const std::string& server, uint32_t gen_low, uint32_t gen_high,
                                int64_t time) {
    return add(id, "full", server, std::nullopt, previous_of(server), gen_low, gen_high, time);
  }
  catalog::SnapshotRecord& incremental(const std::string& id, const std::string& server, uint32_t gen_low,
                                       uint32_t gen_high, int64_t time) {
    std::optional<std::string> base;
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      if (it->server == server && it->kind == "full") {
        base = it->id;
        break;
      }
    }
    return add(id, "incremental", server, base, previous_of(server), gen_low, gen_high, time);
  }
  catalog::SnapshotRecord& folder(const std::string& id, int64_t time) {
    return add(id, "folder", "", std::nullopt, std::nullopt, 0, 0, time);
  }

 private:
  std::optional<std::string> previous_of(const std::string& server) const {
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      if (it->server == server) return it->id;
    }
    return std::nullopt;
  }
  catalog::SnapshotRecord& add(const std::string& id, const std::string& kind, const std::string& server,
                               std::optional<std::string> base_full, std::optional<std::string> parent,
                               uint32_t gen_low, uint32_t gen_high, int64_t time) {
    catalog::SnapshotRecord s;
    s.id = id;
    s.kind = kind;
    s.server = server;
    s.source = server.empty() ? "/data" : server;
    s.base_full = std::move(base_full);
    s.parent = std::move(parent);
    if (kind != "folder") {
      s.gen_low = gen_low;
      s.gen_high = gen_high;
    }
    s.created_unix = time;
    records.push_back(std::move(s));
    return records.back();
  }
};

std::vector<std::string> ids(const std::vector<const catalog::SnapshotRecord*>& records) {
  std::vector<std::string> out;
  for (const auto* record : records) out.push_back(record->id);
  return out;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("a whole chain: restore chains, the incrementals of the full, dependents and the latest chain") {
  History h;
  h.full("F", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 5, 8, 200);
  h.incremental("I2", "ca", 9, 12, 300);
  const SnapshotChains chains(h.records);

  const auto i2 = chains.restore_chain("I2");
  CHECK(i2.broken.empty());
  REQUIRE(i2.full != nullptr);
  CHECK(i2.full->id == "F");
  CHECK(ids(i2.incrementals) == Ids{"I1"});
  const auto f = chains.restore_chain("F");
  CHECK(f.broken.empty());
  CHECK(f.full->id == "F");
  CHECK(f.incrementals.empty());

  REQUIRE(chains.chain_of("F") != nullptr);
  CHECK(ids(chains.chain_of("F")->incrementals) == Ids{"I1", "I2"});
  CHECK(chains.chain_of("F") == chains.chain_of("I2"));
  CHECK(ids(chains.dependents_of("F")) == Ids{"I1", "I2"});
  CHECK(ids(chains.dependents_of("I1")) == Ids{"I2"});
  CHECK(chains.dependents_of("I2").empty());

  const auto latest = chains.latest_chain("ca");
  CHECK(latest.full->id == "F");
  CHECK(latest.latest->id == "I2");
  CHECK(latest.intact);
  CHECK(chains.latest_chain("other").full == nullptr);
}

TEST_CASE("a newer full starts a new chain; the latest chain is the newest full's") {
  History h;
  h.full("F1", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 6, 8, 200);
  h.full("F2", "ca", 7, 9, 300);
  const SnapshotChains chains(h.records);
  CHECK(ids(chains.chain_of("F1")->incrementals) == Ids{"I1"});
  CHECK(chains.chain_of("F2")->incrementals.empty());
  const auto latest = chains.latest_chain("ca");
  CHECK(latest.full->id == "F2");
  CHECK(latest.latest->id == "F2");
  CHECK(latest.intact);
}

TEST_CASE("a broken chain: a missing link is named, and the chain is no longer intact") {
  History h;
  h.full("F", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 6, 8, 200);
  h.incremental("I2", "ca", 9, 12, 300);
  h.incremental("I3", "ca", 13, 14, 400);
  h.records.erase(h.records.begin() + 1);  // I1 is gone: I2 names a parent no record holds
  const SnapshotChains chains(h.records);

  const auto i3 = chains.restore_chain("I3");
  CHECK_THAT(i3.broken,
             Catch::Contains("I1") && Catch::Contains("parent of I2") && Catch::Contains("not in the repository"));
  CHECK(ids(i3.incrementals) == Ids{"I2"});
  CHECK_FALSE(chains.restore_chain("I2").broken.empty());
  CHECK_FALSE(chains.latest_chain("ca").intact);
  CHECK(chains.latest_chain("ca").latest->id == "I3");
  // Forgetting I2 or I3 strands what comes after, whatever the links say.
  CHECK(ids(chains.dependents_of("I2")) == Ids{"I3"});
}

TEST_CASE("logs that do not continue leave the links whole but the latest chain not intact") {
  History h;
  h.full("F", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 8, 9, 200);  // generations 6-7 were never saved
  const SnapshotChains chains(h.records);
  CHECK(chains.restore_chain("I1").broken.empty());  // the gap is export_plan's finding, from the files
  CHECK_FALSE(chains.latest_chain("ca").intact);

  History no_range;
  no_range.full("F", "ca", 1, 5, 100).gen_high.reset();
  CHECK_FALSE(SnapshotChains(no_range.records).latest_chain("ca").intact);
}

TEST_CASE("a missing full: the incrementals still form its chain, which cannot be restored") {
  History h;
  h.full("F", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 6, 8, 200);
  h.incremental("I2", "ca", 9, 12, 300);
  h.records.erase(h.records.begin());
  const SnapshotChains chains(h.records);
  const auto i2 = chains.restore_chain("I2");
  CHECK(i2.full == nullptr);
  CHECK(ids(i2.incrementals) == Ids{"I1"});
  CHECK_THAT(i2.broken, Catch::Contains("full snapshot F") && Catch::Contains("not in the repository"));
  CHECK(chains.latest_chain("ca").full == nullptr);
  CHECK(chains.latest_chain("ca").latest == nullptr);

  History orphan;
  orphan.full("F", "ca", 1, 5, 100);
  orphan.incremental("I1", "ca", 6, 8, 200).base_full.reset();
  const SnapshotChains orphan_chains(orphan.records);
  CHECK_THAT(orphan_chains.restore_chain("I1").broken, Catch::Contains("records no base full"));
  CHECK(orphan_chains.chain_of("F")->incrementals.empty());
}

TEST_CASE("interleaved servers keep separate chains") {
  History h;
  h.full("A-F", "ca-a", 1, 5, 100);
  h.full("B-F", "ca-b", 1, 3, 110);
  h.incremental("A-I1", "ca-a", 6, 7, 200);
  h.incremental("B-I1", "ca-b", 4, 6, 210);
  h.folder("D1", 215);
  h.incremental("A-I2", "ca-a", 8, 9, 220);
  h.incremental("B-I2", "ca-b", 9, 9, 230);  // generations 7-8 of B are missing
  const SnapshotChains chains(h.records);

  CHECK(ids(chains.chain_of("A-F")->incrementals) == Ids{"A-I1", "A-I2"});
  CHECK(ids(chains.chain_of("B-F")->incrementals) == Ids{"B-I1", "B-I2"});
  CHECK(ids(chains.restore_chain("A-I2").incrementals) == Ids{"A-I1"});
  CHECK(chains.restore_chain("B-I2").full->id == "B-F");
  CHECK(chains.latest_chain("ca-a").latest->id == "A-I2");
  CHECK(chains.latest_chain("ca-a").intact);
  CHECK(chains.latest_chain("ca-b").latest->id == "B-I2");
  CHECK_FALSE(chains.latest_chain("ca-b").intact);
  CHECK(chains.chains().size() == 2);

  // A folder snapshot belongs to no chain.
  CHECK(chains.chain_of("D1") == nullptr);
  CHECK(chains.dependents_of("D1").empty());
  CHECK_THAT(chains.restore_chain("D1").broken, Catch::Contains("folder snapshot"));
  CHECK_THAT(chains.restore_chain("nope").broken, Catch::Contains("not in the repository"));
}

TEST_CASE("snapshots of the same second keep the catalog's order, and parent links settle a disagreement") {
  History h;
  h.full("F", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 6, 6, 100);
  h.incremental("I2", "ca", 7, 7, 100);
  h.incremental("I3", "ca", 8, 8, 100);
  // Ids that sort against the chain: a walker that re-sorted equal times by id would reverse it.
  h.records[1].id = "z1";
  h.records[2].id = "y2";
  h.records[2].parent = "z1";
  h.records[3].id = "x3";
  h.records[3].parent = "y2";
  const SnapshotChains chains(h.records);
  CHECK(ids(chains.chain_of("F")->incrementals) == Ids{"z1", "y2", "x3"});
  CHECK(ids(chains.restore_chain("x3").incrementals) == Ids{"z1", "y2"});
  CHECK(chains.latest_chain("ca").latest->id == "x3");
  CHECK(chains.latest_chain("ca").intact);

  // `repair catalog` re-inserts snapshots by id, so equal times may come back in another order;
  // the parent links still give the order the backups were taken in.
  std::vector<catalog::SnapshotRecord> reordered{h.records[0], h.records[3], h.records[2], h.records[1]};
  const SnapshotChains after_repair(reordered);
  CHECK(ids(after_repair.chain_of("F")->incrementals) == Ids{"z1", "y2", "x3"});
  CHECK(after_repair.restore_chain("x3").broken.empty());
  CHECK(after_repair.latest_chain("ca").latest->id == "x3");
}

TEST_CASE("two incrementals claiming the same parent: the first in catalog order continues the chain") {
  History h;
  h.full("F", "ca", 1, 5, 100);
  h.incremental("I1", "ca", 6, 6, 200);
  // A std::string, not a literal: assigning `const char*` to the optional made GCC 12 at -O3
  // report a false -Wrestrict inside std::string::assign.
  h.incremental("I2", "ca", 7, 7, 300).parent = std::string("F");
  const SnapshotChains chains(h.records);
  CHECK(chains.restore_chain("I1").broken.empty());
  CHECK_THAT(chains.restore_chain("I2").broken, Catch::Contains("parent of I2") && Catch::Contains("inconsistent"));
  CHECK(chains.chain_of("F")->linked == 1);
  CHECK_FALSE(chains.latest_chain("ca").intact);
}
