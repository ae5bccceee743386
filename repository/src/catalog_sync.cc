#include "catalog_sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/repository/truncation_log.h"
#include "dictionary.h"
#include "keyed_hash.h"
#include "manifest.h"
#include "pack.h"
#include "recipe_store.h"

namespace certvault::catalog_sync {
namespace {

Hash128 id_from_recipe_name(const std::string& name) {
  // recipes/<2 hex>/<32 hex>.recipe
  const size_t slash = name.find_last_of('/');
  const std::string hex = name.substr(slash + 1, 32);
  Hash128 id{};
  from_hex_exact(hex, id, "recipe object name " + name);
  return id;
}

// snapshots/<id>.snap -> <id>
std::string snapshot_id_of(const std::string& name) {
  return name.size() > 15 ? name.substr(10, name.size() - 15) : name;
}

// A damaged object (an integrity error) or a file with no valid object name is left out of the
// catalog and reported. Any other failure
// (an I/O error, a network or permission failure) may pass, and a catalog built without an intact
// object would hide its snapshot, or let prune delete its pack as a leftover: so the build stops,
// and the caller's old catalog stays as it was.
void leave_out_or_stop(const Error& e, const std::string& object, std::string problem, RepairReport& report) {
  // kRefused: a file whose name is no object name (a copy Explorer made, say), which no rerun reads.
  if (e.kind() != ErrorKind::kIntegrity && e.kind() != ErrorKind::kRefused) {
    throw Error(e.kind(), fmt::format("reading {} failed, so the catalog was not rebuilt or brought up to date "
                                      "(nothing was changed; rerun once the object reads): {}",
                                      object, e.what()));
  }
  report.problems.push_back(std::move(problem));
}

// The names of one listing of the repository, in the reverse of the order writers commit them.
struct Listing {
  std::vector<std::string> snapshots, recipes, dictionaries, packs;
};

Listing list_objects(const ObjectStore& objects) {
  Listing listing;
  listing.snapshots = objects.list("snapshots/");
  listing.recipes = objects.list("recipes/");
  listing.dictionaries = objects.list("dicts/");
  listing.packs = objects.list("packs/");
  return listing;
}

void add_listed(const ObjectStore& objects, const RepositoryConfig& config, catalog::Catalog& catalog,
                const Listing& listing, bool catching_up, RepairReport& report) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& name : listing.packs) {
    if (catching_up && catalog.has_pack_named(name)) continue;
    try {
      const auto entries = pack::read_index(objects, name);
      catalog::PackRecord pack;
      pack.name = name;
      pack.size = objects.size(name);
      pack.entry_count = static_cast<uint32_t>(entries.size());
      pack.created_unix = now;
      std::vector<catalog::ChunkLocation> chunks;
      chunks.reserve(entries.size());
      for (const auto& entry : entries) {
        chunks.push_back({entry.id, 0, entry.offset, entry.stored_size, entry.raw_size, entry.flags, entry.dictionary});
      }
      report.chunks += chunks.size();
      catalog.add_pack_with_chunks(std::move(pack), std::move(chunks));
      ++report.packs;
    } catch (const Error& e) {
      leave_out_or_stop(e, "pack " + name, fmt::format("pack {} skipped: {}", name, e.what()), report);
    }
  }

  // Dictionaries: each object as it is (content-named, immutable); a damaged one is skipped and the
  // chunks compressed with it are reported by check.
  std::set<std::string> known_dictionaries;
  if (catching_up) {
    for (const auto& record : catalog.dictionaries()) known_dictionaries.insert(record.name);
  }
  for (const auto& name : listing.dictionaries) {
    if (known_dictionaries.contains(name)) continue;
    try {
      const auto dictionary = dictionary::decode_object(objects.read_all(name), name);
      catalog.add_dictionary(dictionary::record_of(dictionary));
      ++report.dictionaries;
    } catch (const Error& e) {
      leave_out_or_stop(e, "dictionary " + name, fmt::format("dictionary {} skipped: {}", name, e.what()), report);
    }
  }

  // Recipes must be added base first: order them by delta depth (a base the catalog has already
  // gives its depth).
  std::map<Hash128, catalog::RecipeRecord> recipes;
  const std::span<const uint8_t> secret(config.chunk_id_secret);
  for (const auto& name : listing.recipes) {
    try {
      const auto id = id_from_recipe_name(name);
      if (catching_up && catalog.has_recipe(id)) continue;
      auto record = recipe::decode_object(objects.read_all(name), id, "recipe object " + name);
      if (keyed_hash128(record.body, secret) != id) {
        throw Error(ErrorKind::kIntegrity, "content does not match its name");
      }
      recipe::drop_body_kept_in_object(record);  // a large full list stays in its object only
      recipes.emplace(id, std::move(record));
    } catch (const Error& e) {
      leave_out_or_stop(e, "recipe " + name, fmt::format("recipe {} skipped: {}", name, e.what()), report);
    }
  }
  std::vector<catalog::RecipeRecord*> ordered;
  for (auto& [id, record] : recipes) {
    uint32_t depth = 0;
    bool complete = true;
    for (auto base = record.base; base; ++depth) {
      if (depth > recipe::kMaxDeltaDepth) {
        complete = false;
        break;
      }
      if (const auto it = recipes.find(*base); it != recipes.end()) {
        base = it->second.base;
        continue;
      }
      const auto known = catching_up ? catalog.recipe(*base) : std::nullopt;
      if (!known) {
        complete = false;
        break;
      }
      depth += known->depth + 1;
      break;
    }
    if (!complete) {
      report.problems.push_back(fmt::format("recipe {} skipped: its delta chain is broken", to_hex(id)));
      continue;
    }
    record.depth = depth;
    ordered.push_back(&record);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->depth < b->depth; });
  for (auto* record : ordered) {
    catalog.add_recipe(*record);
    ++report.recipes;
  }

  std::vector<manifest::Manifest> manifests;
  for (const auto& name : listing.snapshots) {
    if (catching_up && catalog.has_snapshot(snapshot_id_of(name))) continue;
    try {
      auto manifest = manifest::decode(objects.read_all(name), "manifest " + name);
      if (manifest::object_name(manifest.snapshot.id) != name) {
        throw Error(ErrorKind::kIntegrity, "snapshot id does not match the object name");
      }
      for (const auto& file : manifest.files) {
        if (!catalog.has_recipe(file.recipe)) {
          throw Error(ErrorKind::kIntegrity, fmt::format("file '{}' needs recipe {}, which was not recovered",
                                                         file.path, to_hex(file.recipe)));
        }
      }
      manifests.push_back(std::move(manifest));
    } catch (const Error& e) {
      const auto id = snapshot_id_of(name);
      leave_out_or_stop(
          e, "manifest " + name,
          fmt::format("snapshot {} skipped: {}; it cannot be restored, its data is kept (`check` reports it and "
                      "`prune` refuses to run until you run `certvault forget {}`)",
                      name, e.what(), id),
          report);
    }
  }
  // Manifests without a commit sequence (before issue 14) are ordered by time, then by parent
  // links: a snapshot's rank counts the parents of the same time above it (docs/format.md §4.2).
  std::map<std::string, const catalog::SnapshotRecord*> by_id;
  for (const auto& m : manifests) by_id.emplace(m.snapshot.id, &m.snapshot);
  for (auto& m : manifests) {
    auto& s = m.snapshot;
    if (s.commit_seq != 0) continue;
    int64_t rank = 0;
    for (auto parent = s.parent; parent && rank <= static_cast<int64_t>(manifests.size());) {
      const auto found = by_id.find(*parent);
      if (found == by_id.end() || found->second->commit_seq != 0 || found->second->created_us != s.created_us) break;
      ++rank;
      parent = found->second->parent;
    }
    s.order_rank = rank;
  }
  for (const auto& m : manifests) {
    catalog.add_snapshot(m.snapshot, m.files, m.missing_files);
    ++report.snapshots;
  }
}

}  // namespace

void add_objects(const ObjectStore& objects, const RepositoryConfig& config, catalog::Catalog& catalog,
                 bool catching_up, RepairReport& report) {
  add_listed(objects, config, catalog, list_objects(objects), catching_up, report);
}

void add_truncations(const ObjectStore& objects, catalog::Catalog& catalog, RepairReport& report) {
  // truncations/<snapshot id>.intent|.outcome: read only what the catalog does not hold yet.
  const auto wanted = [&](const std::string& name) {
    const size_t slash = name.find_last_of('/'), dot = name.find_last_of('.');
    if (slash == std::string::npos || dot == std::string::npos || dot < slash) return true;
    const auto held = catalog.truncations(name.substr(slash + 1, dot - slash - 1));
    if (name.ends_with(".intent")) return held.empty();
    return std::none_of(held.begin(), held.end(), [](const auto& r) { return r.outcome != "unknown"; });
  };
  for (const auto& record : read_truncation_objects(objects, report.problems, wanted)) {
    catalog.record_truncation(record);
  }
}

CatchUp catch_up(const ObjectStore& objects, const RepositoryConfig& config, catalog::Catalog& catalog) {
  CatchUp result;
  const auto listing = list_objects(objects);

  // Vanished packs, recipes or dictionaries: another machine pruned. Rebuild (catalog_sync.h).
  const std::set<std::string> packs(listing.packs.begin(), listing.packs.end());
  for (const auto& pack : catalog.packs()) {
    if (!packs.contains(pack.name)) {
      result.rebuild = true;
      result.why = fmt::format("pack {} was removed (by a prune on another machine)", pack.name);
      return result;
    }
  }
  const std::set<std::string> dictionaries(listing.dictionaries.begin(), listing.dictionaries.end());
  for (const auto& dictionary : catalog.dictionaries()) {
    if (!dictionaries.contains(dictionary.name)) {
      result.rebuild = true;
      result.why = fmt::format("dictionary {} was removed (by a prune on another machine)", dictionary.name);
      return result;
    }
  }
  uint64_t recipes_known = 0;
  for (const auto& name : listing.recipes) {
    try {
      if (catalog.has_recipe(id_from_recipe_name(name))) ++recipes_known;
    } catch (const Error&) {
      // Not a recipe's name: add_objects reports it.
    }
  }
  if (recipes_known != catalog.recipe_count()) {
    result.rebuild = true;
    result.why = fmt::format("{} recipes were removed (by a prune on another machine)",
                             catalog.recipe_count() - std::min(recipes_known, catalog.recipe_count()));
    return result;
  }

  // Forgotten elsewhere: the manifest is gone, so are its rows.
  const std::set<std::string> snapshots(listing.snapshots.begin(), listing.snapshots.end());
  std::vector<std::string> vanished;
  for (const auto& snapshot : catalog.snapshots()) {
    if (!snapshots.contains(manifest::object_name(snapshot.id))) vanished.push_back(snapshot.id);
  }
  if (!vanished.empty()) catalog.delete_snapshots(vanished);
  result.snapshots_removed = static_cast<uint32_t>(vanished.size());

  catalog.begin_catch_up();
  try {
    add_listed(objects, config, catalog, listing, true, result.added);
  } catch (...) {
    catalog.abandon_catch_up();
    throw;
  }
  catalog.finish_rebuild();
  add_truncations(objects, catalog, result.added);
  return result;
}

}  // namespace certvault::catalog_sync
