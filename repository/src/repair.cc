#include "certvault/repository/repair.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "catalog_sync.h"
#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/truncation_log.h"
#include "config_format.h"
#include "config_settings.h"
#include "key_slots.h"
#include "local_object_store_files.h"

namespace certvault {
namespace {

// The catalog's own files: the database, its journal (a hot journal must stay
// with its database), and the WAL files of catalogs from earlier builds.
constexpr const char* kCatalogSuffixes[] = {"", "-journal", "-wal", "-shm"};

// The old catalog's files moved aside, so that a failure before the rebuilt one is in place can put
// them back: a repair that fails leaves the catalog it found, never none.
struct MovedAside {
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> files;  // from, to
  // Returns the files it could not put back (they stay under their new names).
  std::vector<std::filesystem::path> put_back() {
    std::vector<std::filesystem::path> left;
    for (auto it = files.rbegin(); it != files.rend(); ++it) {
      try {
        os::replace_file(it->second, it->first, "repair catalog: put the old catalog back");
      } catch (const Error&) {
        left.push_back(it->second);
      }
    }
    return left;
  }
};

void move_aside(const std::filesystem::path& catalog, const std::string& suffix, RepairReport& report,
                MovedAside& moved) {
  // Every file is looked for before any is moved: a failure there changes nothing.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> present;  // from, to
  for (const char* extra : kCatalogSuffixes) {
    std::filesystem::path from = catalog;
    from += extra;
    if (!os::file_system().status(from, false)) continue;
    std::filesystem::path to = catalog;
    to += suffix;
    to += extra;
    present.emplace_back(std::move(from), std::move(to));
  }
  for (const auto& [from, to] : present) {
    os::replace_file(from, to, "repair catalog: move the old catalog aside");
    moved.files.emplace_back(from, to);
    if (from == catalog) report.old_catalog_moved_to = to.string();
  }
}

}  // namespace

void catalog_sync::rebuild_catalog_file(const ObjectStore& objects, const RepositoryConfig& config,
                                        const std::filesystem::path& catalog_path, bool keep_old,
                                        const std::vector<catalog::TruncationRecord>& kept_truncations,
                                        RepairReport& report) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Build under a temporary name and swap it in at the end: an interrupted
  // repair never leaves a catalog that opens but lacks snapshots.
  auto rebuilding_path = catalog_path;
  rebuilding_path += ".rebuilding";
  for (const char* extra : kCatalogSuffixes) {
    auto leftover = rebuilding_path;
    leftover += extra;
    os::remove_file(leftover, "rebuild the catalog: remove a leftover of an interrupted rebuild", true);
  }
  auto catalog = catalog::Catalog::open(rebuilding_path);
  catalog->keep_file_locks();  // under the exclusive repository (or cache) lock
  copy_config_into_catalog(config, *catalog);
  catalog->begin_rebuild();
  catalog_sync::add_objects(objects, config, *catalog, false, report);
  catalog->finish_rebuild();
  const auto recorded = read_truncation_objects(objects, report.problems);
  std::set<std::string> with_objects;
  for (const auto& record : recorded) with_objects.insert(record.snapshot_id);
  for (const auto& record : kept_truncations) {
    if (!with_objects.contains(record.snapshot_id)) catalog->record_truncation(record);
  }
  for (const auto& record : recorded) catalog->record_truncation(record);
  catalog.reset();  // closes: every transaction committed, the journal empty

  // The rebuilt catalog's empty journal is no journal: drop it rather than move it.
  auto rebuilt_journal = rebuilding_path;
  rebuilt_journal += "-journal";
  os::remove_file(rebuilt_journal, "rebuild the catalog: remove the rebuilt catalog's empty journal", true);
  MovedAside moved;
  try {
    if (keep_old) {
      move_aside(catalog_path, fmt::format(".damaged-{}", now), report, moved);
    } else {
      for (const char* extra : kCatalogSuffixes) {
        auto old = catalog_path;
        old += extra;
        os::remove_file(old, "rebuild the catalog cache: remove the old cache", true);
      }
    }
    os::replace_file(rebuilding_path, catalog_path, "rebuild the catalog: move the rebuilt catalog into place");
  } catch (const Error& e) {
    const auto left = moved.put_back();
    report.old_catalog_moved_to.clear();
    if (left.empty()) throw;
    std::vector<std::string> names;
    for (const auto& path : left) names.push_back(os::display(path));
    throw Error(e.kind(), fmt::format("{}; the old catalog could not be put back either and is at {} (rename it, "
                                      "with its -journal if any, to {} before anything else, or rerun `certvault "
                                      "repair catalog`)",
                                      e.what(), fmt::join(names, ", "), os::display(catalog_path)));
  }
  os::sync_folder(catalog_path.parent_path().empty() ? "." : catalog_path.parent_path(), "rebuild the catalog");
}

RepairReport repair_catalog(const RepositoryLocation& location, const std::optional<Credentials>& credentials) {
  RepairReport report;
  if (!location.is_local()) {
    // A remote repository's catalog is a cache: opening rebuilds a missing one; here it is rebuilt
    // whatever its state, the old one moved aside.
    Repository::open_remote(location, LockMode::kShared, {}, credentials, true, &report);
    return report;
  }
  const auto& dir = location.folder();
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
  objects = unlock_objects(std::move(objects), config, credentials, os::display(dir)).objects;

  const auto catalog_path = Repository::catalog_path(dir);
  // Truncation records of builds before issue 14 exist only in the catalog: keep those of
  // snapshots that have no truncation object, if the old catalog still reads.
  std::vector<catalog::TruncationRecord> truncations;
  std::optional<std::string> unreadable_truncations;
  if (std::filesystem::exists(catalog_path)) {
    try {
      truncations = catalog::Catalog::open(catalog_path)->all_truncations();
    } catch (const std::exception& e) {
      unreadable_truncations = e.what();
    }
  }
  catalog_sync::rebuild_catalog_file(*objects, config, catalog_path, true, truncations, report);
  if (unreadable_truncations) {
    // Not lost: the old catalog is kept where the rebuild moved it, and a rerun of repair reads it
    // again only if it is put back; so say where it is.
    report.problems.push_back(
        fmt::format("log-truncation records written before truncation objects existed could not be read from the old "
                    "catalog ({}); the new catalog lacks those of snapshots without a truncation object; the old "
                    "catalog is kept at {}",
                    *unreadable_truncations,
                    report.old_catalog_moved_to.empty() ? os::display(catalog_path) : report.old_catalog_moved_to));
  }
  return report;
}

}  // namespace certvault
