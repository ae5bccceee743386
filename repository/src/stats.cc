#include "certvault/repository/stats.h"

#include <fmt/format.h>

#include <map>
#include <unordered_map>
#include <unordered_set>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/repository/repository.h"
#include "keyed_hash.h"
#include "pack.h"
#include "recipe.h"
#include "recipe_format.h"
#include "recipe_store.h"

namespace certvault {

namespace {

constexpr int64_t kShared = -1;  // a chunk two owners (or a recipe two snapshots) use
constexpr int64_t kNone = -2;    // no snapshot's file list holds it: not referenced

double ratio(uint64_t numerator, uint64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// Who holds a chunk: one owner, shared, or nobody; and whether a snapshot reported on holds it.
struct Mark {
  int64_t owner = kNone;
  bool focus = false;
  bool operator==(const Mark&) const = default;
};

// Positions [start, end) of a recipe's effective chunk list and who holds the chunks there: the
// recipe's own users and those of every delta that copies these positions, directly or through
// deltas of deltas.
struct Segment {
  uint64_t start = 0, end = 0;
  Mark mark;
};

struct Node {
  Hash128 id{};
  recipe::Decoded decoded;  // empty for a list kept in its object only (read as it is tallied)
  bool in_object_only = false;
  std::optional<size_t> base;  // index into the nodes
  uint64_t length = 0;         // chunks in the effective list
  Mark own;                    // the snapshots whose files name this recipe
  bool named = false;          // some file names it
  uint32_t depth = 0;
  std::vector<size_t> children;
  std::vector<Segment> carried;
};

// Combines the marks of overlapping fragments into disjoint segments (a sweep over the
// boundaries, counting how many fragments of each owner are open).
std::vector<Segment> combine_fragments(std::vector<Segment> fragments) {
  struct Event {
    uint64_t at;
    int delta;
    Mark mark;
  };
  std::vector<Event> events;
  events.reserve(fragments.size() * 2);
  for (const auto& f : fragments) {
    if (f.start >= f.end || f.mark.owner == kNone) continue;
    events.push_back({f.start, +1, f.mark});
    events.push_back({f.end, -1, f.mark});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  std::map<int64_t, int> open_owners;
  int open_focus = 0;
  std::vector<Segment> segments;
  for (size_t i = 0; i < events.size();) {
    const uint64_t at = events[i].at;
    for (; i < events.size() && events[i].at == at; ++i) {
      const auto& e = events[i];
      if ((open_owners[e.mark.owner] += e.delta) == 0) open_owners.erase(e.mark.owner);
      if (e.mark.focus) open_focus += e.delta;
    }
    if (i == events.size()) break;
    Mark mark;
    if (open_owners.size() == 1) mark.owner = open_owners.begin()->first;
    if (open_owners.size() > 1) mark.owner = kShared;
    mark.focus = open_focus > 0;
    if (mark.owner == kNone) continue;
    const uint64_t end = events[i].at;
    if (!segments.empty() && segments.back().end == at && segments.back().mark == mark) {
      segments.back().end = end;
    } else {
      segments.push_back({at, end, mark});
    }
  }
  return segments;
}

// Chunk ownership computed from each recipe's NEW ids only (a full recipe's ids, a delta's new
// runs): a copied id is the same chunk as in the base, so instead of tallying every effective list
// (every snapshot's whole file again), the marks of the deltas that copy a position are carried
// down to the recipe that introduced the id there. The result is the same as tallying each used
// recipe's effective list under its snapshot: a chunk is unique to a snapshot when every effective
// list of a used recipe holding it belongs to that snapshot.
class OwnershipTally {
 public:
  OwnershipTally(catalog::Catalog& catalog, const ObjectStore& objects, std::span<const uint8_t> secret)
      : catalog_(catalog), objects_(objects), secret_(secret) {}

  void use(const Hash128& recipe, Mark mark) {
    auto& node = nodes_[load(recipe)];
    node.own = mark;
    node.named = true;
  }

  void run() {
    link();
    std::vector<size_t> order(nodes_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    // Deeper first: every delta before its base.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return nodes_[a].depth > nodes_[b].depth; });
    for (const size_t index : order) carry(index);
    for (const size_t index : order) tally(index);
  }

 private:
  size_t load(const Hash128& id) {
    const auto found = index_.find(id);
    if (found != index_.end()) return found->second;
    const std::string what = fmt::format("recipe {}", to_hex(id));
    const auto record = catalog_.recipe(id);
    if (!record) throw Error(ErrorKind::kIntegrity, what + " is not in the catalog");
    Node node;
    node.id = id;
    if (recipe::row_in_object_only(*record)) {
      // A large full list: its length is the row's, its ids are streamed from the object by tally().
      node.in_object_only = true;
      node.length = record->chunk_count;
    } else {
      if (keyed_hash128(record->body, secret_) != id) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("{}: the catalog's copy of the encoded recipe does not hash to its id (the catalog "
                                "is damaged; `certvault repair catalog` rebuilds it from the recipe objects)",
                                what));
      }
      node.decoded = recipe::decode(record->body, what);
      if (node.decoded.base) {
        for (const auto& op : node.decoded.ops) node.length += op.copy ? op.length : op.ids.size();
      } else {
        node.length = node.decoded.ids.size();
      }
      if (node.length != record->chunk_count) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("recipe {} lists {} chunk ids but the catalog records a chunk count of {} (the "
                                "catalog is damaged; `certvault repair catalog` rebuilds it from the recipe objects)",
                                to_hex(id), node.length, record->chunk_count));
      }
    }
    const size_t index = nodes_.size();
    index_.emplace(id, index);
    const auto base = node.decoded.base;
    nodes_.push_back(std::move(node));
    if (base) {
      const size_t base_index = load(*base);
      nodes_[index].base = base_index;
    }
    return index;
  }

  void link() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      // Depth by walking the base links; a chain longer than the format allows (or a cycle) is damage.
      uint32_t depth = 0;
      for (auto at = nodes_[i].base; at; at = nodes_[*at].base) {
        if (++depth > recipe::kMaxDeltaDepth) {
          throw Error(ErrorKind::kIntegrity, fmt::format("recipe {}: delta chain longer than {}", to_hex(nodes_[i].id),
                                                         recipe::kMaxDeltaDepth));
        }
      }
      nodes_[i].depth = depth;
      if (!nodes_[i].base) continue;
      const auto& base = nodes_[*nodes_[i].base];
      for (const auto& op : nodes_[i].decoded.ops) {
        if (op.copy && (op.base_start > base.length || op.length > base.length - op.base_start)) {
          throw Error(ErrorKind::kIntegrity, fmt::format("recipe {}: copy run [{}, +{}) outside the base's {} chunks",
                                                         to_hex(nodes_[i].id), op.base_start, op.length, base.length));
        }
      }
      nodes_[*nodes_[i].base].children.push_back(i);
    }
  }

  // The node's marks by position: its own users everywhere, plus each child's marks at the
  // positions the child copies.
  void carry(size_t index) {
    auto& node = nodes_[index];
    std::vector<Segment> fragments;
    if (node.named) fragments.push_back({0, node.length, node.own});
    for (const size_t child_index : node.children) {
      auto& child = nodes_[child_index];
      size_t s = 0;
      uint64_t at = 0;  // the child's position where the op starts
      for (const auto& op : child.decoded.ops) {
        const uint64_t length = op.copy ? op.length : op.ids.size();
        if (op.copy) {
          const uint64_t end = at + length;
          while (s < child.carried.size() && child.carried[s].end <= at) ++s;
          for (size_t k = s; k < child.carried.size() && child.carried[k].start < end; ++k) {
            const auto& segment = child.carried[k];
            const uint64_t from = std::max(segment.start, at), to = std::min(segment.end, end);
            fragments.push_back({op.base_start + (from - at), op.base_start + (to - at), segment.mark});
          }
        }
        at += length;
      }
    }
    node.carried = combine_fragments(std::move(fragments));
  }

  // Tallies the ids this recipe introduced, each under the mark of its position, handed to the
  // catalog in batches of at most kTallyBatchIds so that memory does not grow with the file.
  void tally(size_t index) {
    auto& node = nodes_[index];
    constexpr size_t kTallyBatchIds = size_t{1} << 16;
    std::map<std::pair<int64_t, bool>, std::vector<catalog::ChunkId>> groups;
    size_t grouped = 0;
    const auto flush = [&] {
      for (auto& [key, ids] : groups) catalog_.tally_chunks(ids, key.first, key.second);
      groups.clear();
      grouped = 0;
    };
    size_t s = 0;
    const auto add = [&](uint64_t position, const Hash128& id) {
      while (s < node.carried.size() && node.carried[s].end <= position) ++s;
      if (s == node.carried.size() || node.carried[s].start > position) return;  // nobody holds it
      groups[{node.carried[s].mark.owner, node.carried[s].mark.focus}].push_back(id);
      if (++grouped == kTallyBatchIds) flush();
    };
    if (node.in_object_only) {
      uint64_t position = 0;
      recipe::for_each_id_block(catalog_, objects_, node.id, secret_, [&](std::span<const Hash128> ids) {
        for (const auto& id : ids) add(position++, id);
      });
      if (position != node.length) {
        throw Error(ErrorKind::kIntegrity, fmt::format("recipe {}: its object lists {} chunk ids, the catalog {}",
                                                       to_hex(node.id), position, node.length));
      }
    } else if (!node.decoded.base) {
      for (uint64_t p = 0; p < node.decoded.ids.size(); ++p) add(p, node.decoded.ids[p]);
    } else {
      uint64_t at = 0;
      for (const auto& op : node.decoded.ops) {
        if (op.copy) {
          at += op.length;
          continue;
        }
        for (const auto& id : op.ids) add(at++, id);
      }
    }
    flush();
    node.carried.clear();
    node.decoded = {};
  }

  catalog::Catalog& catalog_;
  const ObjectStore& objects_;
  std::span<const uint8_t> secret_;
  std::vector<Node> nodes_;
  std::unordered_map<Hash128, size_t, Hash128Hasher> index_;
};

}  // namespace

RepositoryStats compute_stats(Repository& repository, const std::optional<std::string>& snapshot_id,
                              const std::optional<std::string>& source) {
  auto& catalog = repository.catalog();
  const auto snapshots = catalog.snapshots();
  std::unordered_map<std::string, int64_t> owner_of;
  for (size_t i = 0; i < snapshots.size(); ++i) owner_of.emplace(snapshots[i].id, static_cast<int64_t>(i));

  const bool focused = snapshot_id || source;
  auto in_focus = [&](const catalog::SnapshotRecord& s) {
    return (!snapshot_id || s.id == *snapshot_id) && (!source || s.source == *source);
  };
  std::unordered_set<catalog::Digest, Hash128Hasher> focus_recipes;
  if (focused) {
    for (const auto& s : snapshots) {
      if (!in_focus(s)) continue;
      for (const auto& file : catalog.files(s.id)) focus_recipes.insert(file.recipe);
    }
  }

  RepositoryStats stats;
  stats.indexed = catalog.chunk_totals();
  stats.packs = catalog.pack_totals();
  catalog.begin_chunk_tally();
  try {
    OwnershipTally tally(catalog, repository.objects(), repository.config().chunk_id_secret);
    for (const auto& use : catalog.recipe_uses()) {
      int64_t owner = kShared;
      if (use.snapshots == 1) {
        const auto found = owner_of.find(use.only_snapshot);
        if (found != owner_of.end()) owner = found->second;
      }
      tally.use(use.recipe, {owner, !focused || focus_recipes.count(use.recipe) > 0});
    }
    tally.run();
    stats.referenced = catalog.chunk_tally_focus_totals();
    std::unordered_map<int64_t, catalog::Catalog::ChunkTotals> unique;
    for (const auto& totals : catalog.chunk_tally_unique_totals()) unique[totals.owner] = totals.totals;
    catalog.end_chunk_tally();
    for (size_t i = 0; i < snapshots.size(); ++i) {
      const auto& s = snapshots[i];
      if (!in_focus(s)) continue;
      SnapshotUsage usage{s.id, s.logical_size, s.added_size, 0, 0, 0, 0};
      const auto found = unique.find(static_cast<int64_t>(i));
      if (found != unique.end()) {
        usage.unique_chunks = found->second.chunks;
        usage.unique_raw_bytes = found->second.raw_bytes;
        usage.unique_stored_bytes = found->second.stored_bytes;
        usage.unique_pack_bytes = found->second.stored_bytes + found->second.chunks * pack::kEntryHeaderSize;
      }
      stats.logical_bytes += s.logical_size;
      ++stats.snapshots;
      stats.per_snapshot.push_back(std::move(usage));
    }
  } catch (...) {
    catalog.end_chunk_tally();
    throw;
  }
  stats.dedup_ratio = ratio(stats.logical_bytes, stats.referenced.raw_bytes);
  stats.compression_ratio = ratio(stats.referenced.raw_bytes, stats.referenced.stored_bytes);
  return stats;
}

}  // namespace certvault
