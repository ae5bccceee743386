#include "certvault/repository/repair.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <set>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/truncation_log.h"
#include "config_format.h"
#include "config_settings.h"
#include "dictionary.h"
#include "key_slots.h"
#include "keyed_hash.h"
#include "local_object_store_files.h"
#include "manifest.h"
#include "pack.h"
#include "recipe_store.h"

namespace certvault {
namespace {

// The catalog's own files: the database, its journal (a hot journal must stay
// with its database), and the WAL files of catalogs from earlier builds.
constexpr const char* kCatalogSuffixes[] = {"", "-journal", "-wal", "-shm"};

void move_aside(const std::filesystem::path& catalog, const std::string& suffix, RepairReport& report) {
  for (const char* extra : kCatalogSuffixes) {
    std::filesystem::path from = catalog;
    from += extra;
    if (!os::file_system().status(from, false)) continue;
    std::filesystem::path to = catalog;
    to += suffix;
    to += extra;
    os::replace_file(from, to, "repair catalog: move the old catalog aside");
    if (*extra == '\0') report.old_catalog_moved_to = to.string();
  }
}

Hash128 id_from_recipe_name(const std::string& name) {
  // recipes/<2 hex>/<32 hex>.recipe
  const size_t slash = name.find_last_of('/');
  const std::string hex = name.substr(slash + 1, 32);
  Hash128 id{};
  from_hex_exact(hex, id, "recipe object name " + name);
  return id;
}

}  // namespace

RepairReport repair_catalog(const std::filesystem::path& dir, const std::optional<Credentials>& credentials) {
  RepairReport report;
  auto lock = RepositoryLock::acquire(dir, LockMode::kExclusive);
  auto objects = open_local_object_store(dir);
  if (!objects->exists(config_format::kObjectName)) {
    throw Error(ErrorKind::kUsage, fmt::format("{} is not a certvault repository (no config file)", dir.string()));
  }
  const auto config_bytes = objects->read_all(config_format::kObjectName);
  auto config =
      RepositoryConfig::parse(std::string_view(reinterpret_cast<const char*>(config_bytes.data()), config_bytes.size()),
                              (dir / config_format::kObjectName).string());
  // An encrypted repository's objects are read through the sealing store, with its key.
  objects = unlock_objects(std::move(objects), config, credentials, dir).objects;

  const auto catalog_path = Repository::catalog_path(dir);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  // Truncation records of builds before issue 14 exist only in the catalog: keep those of
  // snapshots that have no truncation object, if the old catalog still reads.
  std::vector<catalog::TruncationRecord> truncations;
  if (std::filesystem::exists(catalog_path)) {
    try {
      truncations = catalog::Catalog::open(catalog_path)->all_truncations();
    } catch (const std::exception& e) {
      report.problems.push_back(
          fmt::format("log-truncation records could not be read from the old catalog and are "
                      "lost: {}",
                      e.what()));
    }
  }

  // Build under a temporary name and swap it in at the end: an interrupted
  // repair never leaves a catalog that opens but lacks snapshots.
  auto rebuilding_path = catalog_path;
  rebuilding_path += ".rebuilding";
  for (const char* extra : kCatalogSuffixes) {
    auto leftover = rebuilding_path;
    leftover += extra;
    os::remove_file(leftover, "repair catalog: remove a leftover of an interrupted repair", true);
  }
  auto catalog = catalog::Catalog::open(rebuilding_path);
  catalog->keep_file_locks();  // under the exclusive repository lock
  copy_config_into_catalog(config, *catalog);
  catalog->begin_rebuild();

  for (const auto& name : objects->list("packs/")) {
    try {
      const auto entries = pack::read_index(*objects, name);
      catalog::PackRecord pack;
      pack.name = name;
      pack.size = objects->size(name);
      pack.entry_count = static_cast<uint32_t>(entries.size());
      pack.created_unix = now;
      std::vector<catalog::ChunkLocation> chunks;
      chunks.reserve(entries.size());
      for (const auto& entry : entries) {
        chunks.push_back({entry.id, 0, entry.offset, entry.stored_size, entry.raw_size, entry.flags, entry.dictionary});
      }
      report.chunks += chunks.size();
      catalog->add_pack_with_chunks(std::move(pack), std::move(chunks));
      ++report.packs;
    } catch (const Error& e) {
      report.problems.push_back(fmt::format("pack {} skipped: {}", name, e.what()));
    }
  }

  // Dictionaries: each object as it is (content-named, immutable); a damaged one is skipped and the
  // chunks compressed with it are reported by check.
  for (const auto& name : objects->list("dicts/")) {
    try {
      const auto dictionary = dictionary::decode_object(objects->read_all(name), name);
      catalog->add_dictionary(dictionary::record_of(dictionary));
      ++report.dictionaries;
    } catch (const Error& e) {
      report.problems.push_back(fmt::format("dictionary {} skipped: {}", name, e.what()));
    }
  }

  // Recipes must be added base first: order them by delta depth.
  std::map<Hash128, catalog::RecipeRecord> recipes;
  const std::span<const uint8_t> secret(config.chunk_id_secret);
  for (const auto& name : objects->list("recipes/")) {
    try {
      const auto id = id_from_recipe_name(name);
      auto record = recipe::decode_object(objects->read_all(name), id, "recipe object " + name);
      if (keyed_hash128(record.body, secret) != id) {
        throw Error(ErrorKind::kIntegrity, "content does not match its name");
      }
      recipes.emplace(id, std::move(record));
    } catch (const Error& e) {
      report.problems.push_back(fmt::format("recipe {} skipped: {}", name, e.what()));
    }
  }
  std::vector<catalog::RecipeRecord*> ordered;
  for (auto& [id, record] : recipes) {
    uint32_t depth = 0;
    bool complete = true;
    for (auto base = record.base; base; ++depth) {
      const auto it = recipes.find(*base);
      if (it == recipes.end() || depth > recipe::kMaxDeltaDepth) {
        complete = false;
        break;
      }
      base = it->second.base;
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
    catalog->add_recipe(*record);
    ++report.recipes;
  }

  std::vector<manifest::Manifest> manifests;
  for (const auto& name : objects->list("snapshots/")) {
    try {
      auto manifest = manifest::decode(objects->read_all(name), "manifest " + name);
      if (manifest::object_name(manifest.snapshot.id) != name) {
        throw Error(ErrorKind::kIntegrity, "snapshot id does not match the object name");
      }
      for (const auto& file : manifest.files) {
        if (!catalog->has_recipe(file.recipe)) {
          throw Error(ErrorKind::kIntegrity, fmt::format("file '{}' needs recipe {}, which was not recovered",
                                                         file.path, to_hex(file.recipe)));
        }
      }
      manifests.push_back(std::move(manifest));
    } catch (const Error& e) {
      const auto id = name.size() > 15 ? name.substr(10, name.size() - 15) : name;  // snapshots/<id>.snap
      report.problems.push_back(
          fmt::format("snapshot {} skipped: {}; it cannot be restored, its data is kept (`check` reports it and "
                      "`prune` refuses to run until you run `certvault forget {}`)",
                      name, e.what(), id));
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
    catalog->add_snapshot(m.snapshot, m.files, m.missing_files);
    ++report.snapshots;
  }
  catalog->finish_rebuild();
  const auto recorded = read_truncation_objects(*objects, report.problems);
  std::set<std::string> with_objects;
  for (const auto& record : recorded) with_objects.insert(record.snapshot_id);
  for (const auto& record : truncations) {
    if (!with_objects.contains(record.snapshot_id)) catalog->record_truncation(record);
  }
  for (const auto& record : recorded) catalog->record_truncation(record);
  catalog.reset();  // closes: every transaction committed, the journal empty

  // The rebuilt catalog's empty journal is no journal: drop it rather than move it.
  auto rebuilt_journal = rebuilding_path;
  rebuilt_journal += "-journal";
  os::remove_file(rebuilt_journal, "repair catalog: remove the rebuilt catalog's empty journal", true);
  move_aside(catalog_path, fmt::format(".damaged-{}", now), report);
  os::replace_file(rebuilding_path, catalog_path, "repair catalog: move the rebuilt catalog into place");
  os::sync_folder(dir, "repair catalog");
  return report;
}

}  // namespace certvault
