#include "certvault/operations/export_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "certvault/base/error.h"
#include "certvault/base/safe_path.h"
#include "certvault/certadm/strings.h"
#include "certvault/operations/snapshot_chain.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_contents.h"

namespace certvault {
namespace {

std::string short_id(const std::string& id) { return id.substr(0, 12); }

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Export writes certbkxp.dat from the raw restore map and restore takes its locations from the
// parsed one: both must say the same, or an export and a restore of one snapshot would differ.
void require_restore_map_agrees(const catalog::SnapshotRecord& snapshot) {
  const auto fail = [&](const std::string& why) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("snapshot {}: its raw restore map (certbkxp.dat) and its parsed restore map disagree: {}",
                            short_id(snapshot.id), why));
  };
  if (snapshot.restore_map_raw.empty()) {
    if (!snapshot.restore_map.empty()) fail("the raw map is empty");
    return;
  }
  certadm::NameList parsed;
  try {
    parsed = certadm::parse_multistring(snapshot.restore_map_raw, true);
  } catch (const Error& e) {
    fail(fmt::format("the raw map cannot be parsed: {}", e.what()));
  }
  if (parsed.entries.size() != snapshot.restore_map.size()) {
    fail(fmt::format("{} entries in the raw map, {} parsed", parsed.entries.size(), snapshot.restore_map.size()));
  }
  for (size_t i = 0; i < parsed.entries.size(); ++i) {
    const auto& raw = parsed.entries[i];
    const auto& entry = snapshot.restore_map[i];
    if (raw.type_code != entry.type_code || raw.path_utf8 != entry.path) {
      fail(fmt::format("entry {} is 0x{:X} '{}' in the raw map but 0x{:X} '{}' parsed", i, raw.type_code, raw.path_utf8,
                       entry.type_code, entry.path));
    }
  }
}

// The set as its manifest says (read_snapshot_contents() checks the catalog's rows against it).
RestoreSet load_set(SnapshotContents contents) {
  RestoreSet set;
  set.snapshot = std::move(contents.snapshot);
  const auto& snapshot = set.snapshot;
  require_restore_map_agrees(snapshot);
  for (auto& file : contents.files) {
    check_relative_path(file.path);
    if (file.role == "log") {
      if (!file.log_generation) {
        throw Error(ErrorKind::kRefused, fmt::format("snapshot {}: log '{}' records no generation; the catalog is "
                                                     "damaged (run `certvault repair catalog`)",
                                                     short_id(snapshot.id), file.path));
      }
      set.logs.push_back(std::move(file));
    } else if (file.role == "database" || file.role == "patch") {
      if (snapshot.kind == "full") set.database_files.push_back(std::move(file));
    } else if (file.role == "config") {
      if (snapshot.kind == "full") set.config_files.push_back(std::move(file));
    }
  }
  std::sort(set.logs.begin(), set.logs.end(),
            [](const auto& a, const auto& b) { return *a.log_generation < *b.log_generation; });
  if (set.logs.empty()) {
    // chain_gaps() names the generations the catalog says this set backed up.
    if (!snapshot.gen_low || !snapshot.gen_high) {
      throw Error(ErrorKind::kRefused, fmt::format("snapshot {} ({}) holds no log files and records no generations; "
                                                   "it cannot be restored",
                                                   short_id(snapshot.id), snapshot.kind));
    }
    set.generations = {*snapshot.gen_low, *snapshot.gen_high};
  } else {
    set.generations = {*set.logs.front().log_generation, *set.logs.back().log_generation};
  }
  return set;
}

void add_gap(GenerationGaps& gaps, uint32_t first, uint32_t last) {
  if (first <= last) gaps.emplace_back(first, last);
}

}  // namespace

GenerationGaps chain_gaps(const std::vector<RestoreSet>& sets) {
  GenerationGaps gaps;
  std::optional<uint32_t> covered_through;
  for (const auto& set : sets) {
    std::set<uint32_t> present;
    for (const auto& log : set.logs) present.insert(*log.log_generation);
    // The set must hold every generation the catalog says it backed up.
    const uint32_t low = set.snapshot.gen_low.value_or(set.generations.low);
    const uint32_t high = set.snapshot.gen_high.value_or(set.generations.high);
    if (low > high) {
      add_gap(gaps, high, low);
      continue;
    }
    uint64_t gap_start = 0;  // 0: not in a gap (generations start at 1)
    for (uint64_t generation = low; generation <= high; ++generation) {
      const bool have = present.contains(static_cast<uint32_t>(generation));
      if (!have && gap_start == 0) gap_start = generation;
      if (have && gap_start != 0) {
        add_gap(gaps, static_cast<uint32_t>(gap_start), static_cast<uint32_t>(generation - 1));
        gap_start = 0;
      }
    }
    if (gap_start != 0) add_gap(gaps, static_cast<uint32_t>(gap_start), high);
    if (covered_through && low > *covered_through + 1) add_gap(gaps, *covered_through + 1, low - 1);
    covered_through = std::max(covered_through.value_or(0), high);
  }
  std::sort(gaps.begin(), gaps.end());
  return gaps;
}

SnapshotChain plan_chain(Repository& repository, const std::string& snapshot_id) {
  const auto& catalog = repository.catalog();
  // The target first, checked against its manifest before anything is decided on its kind.
  auto target_contents = read_snapshot_contents(repository, snapshot_id);
  const auto target = std::make_optional(target_contents.snapshot);
  if (target->kind != "full" && target->kind != "incremental") {
    throw Error(ErrorKind::kRefused, fmt::format("snapshot {} is a {} snapshot, not a CA backup (full or "
                                                 "incremental); it has no restore chain",
                                                 short_id(target->id), target->kind));
  }
  // The restore chain comes from the one chain walker; it names what is broken, if anything.
  catalog::SnapshotFilter same_server;
  same_server.server = target->server;
  const auto server_snapshots = catalog.snapshots(same_server);
  const auto restore = SnapshotChains(server_snapshots).restore_chain(target->id);
  if (!restore.broken.empty()) throw Error(ErrorKind::kRefused, restore.broken);
  std::vector<catalog::SnapshotRecord> records{*restore.full};
  for (const auto* link : restore.incrementals) records.push_back(*link);
  if (target->kind == "incremental") records.push_back(*target);

  // The walk above used the catalog's rows; every row it chose is now checked against its manifest, so the
  // chain, its generations and its files are the objects' own.
  SnapshotChain chain;
  const auto target_files = target_contents.files;
  for (const auto& record : records) {
    chain.sets.push_back(
        load_set(record.id == target->id ? std::move(target_contents) : read_snapshot_contents(repository, record.id)));
  }
  chain.target = chain.sets.back().snapshot;
  if (chain.full().database_files.empty()) {
    throw Error(ErrorKind::kRefused,
                fmt::format("full snapshot {} holds no database file", short_id(chain.full().snapshot.id)));
  }
  const auto gaps = chain_gaps(chain.sets);
  if (!gaps.empty()) {
    throw Error(ErrorKind::kRefused,
                fmt::format("the log chain of snapshot {} (full {} through {}) is missing generations {}; nothing was "
                            "written",
                            short_id(target->id), short_id(chain.full().snapshot.id), short_id(target->id),
                            describe_gaps(gaps)));
  }
  chain.generations = {chain.full().generations.low, 0};
  for (const auto& set : chain.sets) chain.generations.high = std::max(chain.generations.high, set.generations.high);
  for (auto& file : target_files) {
    if (file.role == "dynamic") {
      check_relative_path(file.path);
      chain.dynamic_files.push_back(std::move(file));
    }
  }
  return chain;
}

std::string set_folder_name(const SnapshotChain& chain, size_t index) {
  return fmt::format("{:02}-{}", index, chain.sets[index].snapshot.kind);
}

std::vector<PlannedFile> plan_export(const SnapshotChain& chain, ExportLayout layout) {
  std::vector<PlannedFile> files;
  auto from_snapshot = [](std::string path, const RestoreSet& set, const catalog::FileRecord& record) {
    PlannedFile file;
    file.path = std::move(path);
    file.snapshot_id = set.snapshot.id;
    file.record = record;
    file.origin = record.api_path;
    check_relative_path(file.path);
    return file;
  };
  auto restore_map_file = [&](std::string path, const RestoreSet& set) {
    PlannedFile file;
    file.path = std::move(path);
    // An incremental asks the CA for the locations too; the full's are the fallback.
    file.generated =
        set.snapshot.restore_map_raw.empty() ? chain.full().snapshot.restore_map_raw : set.snapshot.restore_map_raw;
    file.origin = fmt::format("restore map of snapshot {}", short_id(set.snapshot.id));
    return file;
  };
  if (layout == ExportLayout::kCertutil) {
    for (const auto& record : chain.full().database_files) {
      files.push_back(from_snapshot("DataBase/" + base_name(record.path), chain.full(), record));
    }
    // Each generation once, from the newest set that holds it.
    std::map<uint32_t, std::pair<const RestoreSet*, const catalog::FileRecord*>> logs;
    for (const auto& set : chain.sets) {
      for (const auto& log : set.logs) logs[*log.log_generation] = {&set, &log};
    }
    for (const auto& [generation, source] : logs) {
      files.push_back(from_snapshot("DataBase/" + base_name(source.second->path), *source.first, *source.second));
    }
    files.push_back(restore_map_file("DataBase/certbkxp.dat", chain.full()));
  } else {
    for (size_t i = 0; i < chain.sets.size(); ++i) {
      const auto& set = chain.sets[i];
      const std::string folder = set_folder_name(chain, i);
      for (const auto& record : set.database_files) {
        files.push_back(from_snapshot(folder + "/DataBase/" + base_name(record.path), set, record));
      }
      for (const auto& log : set.logs) {
        files.push_back(from_snapshot(folder + "/DataBase/" + base_name(log.path), set, log));
      }
      files.push_back(restore_map_file(folder + "/DataBase/certbkxp.dat", set));
    }
  }
  const auto& target_set = chain.sets.back();
  for (const auto& record : chain.dynamic_files) {
    files.push_back(from_snapshot("Dynamic/" + base_name(record.path), target_set, record));
  }
  // The recovery set beside the certutil layout (in both layouts): the full's, the newest a chain has.
  for (const auto& record : chain.full().config_files) {
    files.push_back(from_snapshot("Config/" + base_name(record.path), chain.full(), record));
  }
  std::vector<std::string> paths;
  paths.reserve(files.size());
  for (const auto& file : files) paths.push_back(file.path);
  check_exportable_paths(paths, fmt::format("snapshot {}", short_id(chain.target.id)));
  return files;
}

}  // namespace certvault
