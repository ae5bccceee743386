#include "certvault/operations/snapshot_chain.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "certvault/operations/log_chain.h"

namespace certvault {
namespace {

std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::vector<const catalog::SnapshotRecord*> pointers_to(const std::vector<catalog::SnapshotRecord>& records) {
  std::vector<const catalog::SnapshotRecord*> pointers;
  pointers.reserve(records.size());
  for (const auto& record : records) pointers.push_back(&record);
  return pointers;
}

// Puts a chain's members (in record order) in parent-link order; returns how many are linked.
size_t order_by_links(const std::string& full_id, std::vector<const catalog::SnapshotRecord*>& members) {
  std::unordered_map<std::string, std::vector<size_t>> children;  // parent id -> member indexes, record order
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i]->parent) children[*members[i]->parent].push_back(i);
  }
  std::vector<const catalog::SnapshotRecord*> ordered;
  std::vector<bool> placed(members.size(), false);
  std::string current = full_id;
  while (true) {
    const auto found = children.find(current);
    if (found == children.end()) break;
    const auto next = std::find_if(found->second.begin(), found->second.end(), [&](size_t i) { return !placed[i]; });
    if (next == found->second.end()) break;
    placed[*next] = true;
    ordered.push_back(members[*next]);
    current = members[*next]->id;
  }
  const size_t linked = ordered.size();
  for (size_t i = 0; i < members.size(); ++i) {
    if (!placed[i]) ordered.push_back(members[i]);
  }
  members = std::move(ordered);
  return linked;
}

bool continues(const catalog::SnapshotRecord& previous, const catalog::SnapshotRecord& next) {
  return previous.gen_high && next.gen_low && next.gen_high &&
         check_continuation(*previous.gen_high, {*next.gen_low, *next.gen_high}).continues;
}

}  // namespace

SnapshotChains::SnapshotChains(const std::vector<catalog::SnapshotRecord>& oldest_first)
    : SnapshotChains(pointers_to(oldest_first)) {}

SnapshotChains::SnapshotChains(std::vector<const catalog::SnapshotRecord*> oldest_first)
    : records_(std::move(oldest_first)) {
  std::map<std::pair<std::string, std::string>, size_t> chain_by_key;  // (server, full id) -> chains_ index
  auto chain_for = [&](const std::string& server, const std::string& full_id) -> Chain& {
    const auto [it, added] = chain_by_key.emplace(std::make_pair(server, full_id), chains_.size());
    if (added) chains_.push_back({server, full_id, nullptr, {}, 0});
    return chains_[it->second];
  };
  for (const auto* record : records_) {
    by_id_.emplace(record->id, record);
    if (record->kind == "full") {
      chain_for(record->server, record->id).full = record;
    } else if (record->kind == "incremental" && record->base_full) {
      chain_for(record->server, *record->base_full).incrementals.push_back(record);
    } else if (record->kind == "incremental") {
      // Names no full: a broken chain of its own, keyed so that no other incremental joins it.
      chains_.push_back({record->server, "", nullptr, {record}, 0});
      chain_of_snapshot_[record->id] = chains_.size() - 1;
    }
  }
  for (size_t i = 0; i < chains_.size(); ++i) {
    auto& chain = chains_[i];
    if (!chain.full_id.empty()) chain.linked = order_by_links(chain.full_id, chain.incrementals);
    if (chain.full) chain_of_snapshot_[chain.full->id] = i;
    for (const auto* link : chain.incrementals) chain_of_snapshot_[link->id] = i;
  }
}

const SnapshotChains::Chain* SnapshotChains::chain_of(const std::string& snapshot_id) const {
  const auto found = chain_of_snapshot_.find(snapshot_id);
  return found == chain_of_snapshot_.end() ? nullptr : &chains_[found->second];
}

SnapshotChains::RestoreChain SnapshotChains::restore_chain(const std::string& snapshot_id) const {
  RestoreChain result;
  const auto target = by_id_.find(snapshot_id);
  if (target == by_id_.end()) {
    result.broken = fmt::format("snapshot {} is not in the repository", short_id(snapshot_id));
    return result;
  }
  const auto& snapshot = *target->second;
  const Chain* chain = chain_of(snapshot_id);
  if (chain == nullptr) {
    result.broken = fmt::format(
        "snapshot {} is a {} snapshot, not a CA backup (full or incremental); it has no "
        "restore chain",
        short_id(snapshot.id), snapshot.kind);
    return result;
  }
  if (snapshot.kind == "full") {
    result.full = &snapshot;
    return result;
  }
  result.full = chain->full;
  const auto position = static_cast<size_t>(
      std::find(chain->incrementals.begin(), chain->incrementals.end(), &snapshot) - chain->incrementals.begin());
  result.incrementals.assign(chain->incrementals.begin(),
                             chain->incrementals.begin() + static_cast<std::ptrdiff_t>(position));
  if (!snapshot.base_full) {
    result.broken = fmt::format("incremental snapshot {} records no base full backup", short_id(snapshot.id));
  } else if (chain->full == nullptr) {
    result.broken = fmt::format("full snapshot {} (the base of incremental {}) is not in the repository",
                                short_id(chain->full_id), short_id(snapshot.id));
  } else if (chain->linked <= position) {
    // The first link no parent leads to, at or before the target.
    const auto& unlinked = *chain->incrementals[chain->linked];
    if (!unlinked.parent) {
      result.broken = fmt::format("incremental snapshot {} records no parent; the chain to its full {} is broken",
                                  short_id(unlinked.id), short_id(chain->full_id));
    } else if (!by_id_.contains(*unlinked.parent)) {
      result.broken = fmt::format("snapshot {} (parent of {}) is not in the repository; the chain to full {} is broken",
                                  short_id(*unlinked.parent), short_id(unlinked.id), short_id(chain->full_id));
    } else {
      result.broken = fmt::format(
          "snapshot {} (parent of {}) does not lead to the base full {}; the catalog is "
          "inconsistent",
          short_id(*unlinked.parent), short_id(unlinked.id), short_id(chain->full_id));
    }
  }
  return result;
}

std::vector<const catalog::SnapshotRecord*> SnapshotChains::dependents_of(const std::string& snapshot_id) const {
  const Chain* chain = chain_of(snapshot_id);
  if (chain == nullptr) return {};
  if (chain->full != nullptr && chain->full->id == snapshot_id) return chain->incrementals;
  const auto self = std::find_if(chain->incrementals.begin(), chain->incrementals.end(),
                                 [&](const auto* link) { return link->id == snapshot_id; });
  return {std::next(self), chain->incrementals.end()};
}

SnapshotChains::LatestChain SnapshotChains::latest_chain(const std::string& series) const {
  LatestChain result;
  for (const auto* record : records_) {
    const std::string& of = record->source.empty() ? record->server : record->source;
    if (record->kind == "full" && of == series) result.full = record;
  }
  if (result.full == nullptr) return result;
  const Chain& chain = *chain_of(result.full->id);
  result.latest = chain.incrementals.empty() ? result.full : chain.incrementals.back();
  result.intact = result.full->gen_high.has_value() && chain.linked == chain.incrementals.size();
  const catalog::SnapshotRecord* previous = result.full;
  for (const auto* link : chain.incrementals) {
    result.intact = result.intact && continues(*previous, *link);
    previous = link;
  }
  return result;
}

ChainAround chain_around(const catalog::Catalog& catalog, const catalog::SnapshotRecord& snapshot) {
  ChainAround around;
  if (snapshot.kind != "full" && snapshot.kind != "incremental") return around;
  catalog::SnapshotFilter same_server;
  same_server.server = snapshot.server;
  const auto server_snapshots = catalog.snapshots(same_server);
  const SnapshotChains chains(server_snapshots);
  if (snapshot.kind == "full") {
    if (const auto* chain = chains.chain_of(snapshot.id)) {
      for (const auto* link : chain->incrementals) around.incrementals.push_back(*link);
    }
    return around;
  }
  const auto restore = chains.restore_chain(snapshot.id);
  if (restore.full) around.base_full = *restore.full;
  for (const auto* link : restore.incrementals) around.incrementals.push_back(*link);
  around.broken = restore.broken;
  return around;
}

}  // namespace certvault
