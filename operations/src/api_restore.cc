#include "certvault/operations/api_restore.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/output_file.h"
#include "certvault/base/safe_path.h"
#include "certvault/base/utc_time.h"
#include "certvault/certadm/certadm.h"
#include "certvault/operations/ese_headers.h"
#include "certvault/operations/log_chain.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_reader.h"

namespace certvault {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr HRESULT kRestoreAbandoned = certadm_abi::kEAbort;

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string comparable(std::string path) {
  std::replace(path.begin(), path.end(), '\\', '/');
#ifdef _WIN32
  std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return std::tolower(c); });
#endif
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool same_name(const std::string& a, const std::string& b) {
  std::string x = a, y = b;
  auto lower = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  };
  lower(x);
  lower(y);
  return x == y;
}

// "20261124T103000Z": the current time in a folder name.
std::string utc_stamp() { return format_utc(std::time(nullptr), UtcFormat::kBasic); }

// Runs one step; a failure names the step (API errors already name the call and HRESULT).
template <class Function>
auto step(const std::string& name, Function&& function) {
  try {
    return function();
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("restore step '{}' failed: {}", name, e.what()));
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kFailure, fmt::format("restore step '{}' failed: {}", name, e.what()));
  }
}

// One file rebuilt under a temporary name beside its destination.
struct StagedFile {
  fs::path destination;
  fs::path staged;
  uint64_t size = 0;
  std::string snapshot_id;
  bool placed = false;
};

// Database files, logs and the checkpoint a restore replaces (ESE's own names).
bool is_engine_file(const std::string& name, const std::set<std::string>& database_names) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (database_names.contains(lower)) return true;
  if (lower == "edb.chk" || lower == "tmp.edb") return true;
  return lower.ends_with(".log") && (lower.starts_with("edb") || lower.starts_with("res"));
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The first bytes of a live file of the CA (a log's or the checkpoint's header).
std::vector<uint8_t> read_header(const fs::path& path) {
  os::File file(path, os::OpenFor::kRead, "restore: read the header of " + os::display(path));
  std::vector<uint8_t> bytes(ese::kHeaderPrefixBytes);
  bytes.resize(file.read_at(0, bytes));
  return bytes;
}

// The logs in the target log folder newer than the snapshot, and a checkpoint past it.
struct LiveLogs {
  std::map<uint32_t, fs::path> newer;  // generation -> file (edb.log by its header)
  std::optional<uint32_t> checkpoint;  // edb.chk's generation, when past the snapshot's last log
  bool any() const { return !newer.empty() || checkpoint.has_value(); }
  // The generations a roll-forward would need but the folder lacks: from the one after
  // `last` through the newest log (or the checkpoint's generation).
  GenerationGaps gaps(uint32_t last) const {
    uint32_t newest = newer.empty() ? 0 : newer.rbegin()->first;
    if (checkpoint) newest = std::max(newest, *checkpoint);
    GenerationGaps missing;
    for (uint32_t generation = last + 1; generation <= newest && generation != 0; ++generation) {
      if (newer.contains(generation)) continue;
      if (!missing.empty() && missing.back().second + 1 == generation) {
        missing.back().second = generation;
      } else {
        missing.emplace_back(generation, generation);
      }
    }
    return missing;
  }
};

class Restore {
 public:
  Restore(Repository& repository, const std::string& snapshot_id, const ApiRestoreOptions& options)
      : repository_(repository), options_(options) {
    result_.chain = step("read and check the snapshot chain", [&] { return plan_chain(repository, snapshot_id); });
    step("resolve the restore locations", [&] { resolve_locations(); });
    step("look for logs newer than the snapshot", [&] { check_live_logs(scan_live_logs()); });
  }

  ~Restore() {
    for (const auto& file : staged_) {
      if (file.placed) continue;
      try {
        os::remove_file(file.staged, "restore: remove the unused " + os::display(file.staged), true);
      } catch (const Error&) {
        // Destructors never throw; the staged name says what the file is.
      }
    }
  }

  ApiRestoreResult run() {
    const auto started = Clock::now();
    auto library = step("load the Certadm library", [&] {
      return certadm::Library::load(options_.library.empty() ? certadm::Library::default_path() : options_.library);
    });
    certadm::Server server(library, options_.server);
    step("stage the files (rebuild and verify every byte)", [&] { stage_all(); });
    result_.service_was_online = step("CertSrvIsServerOnlineW", [&] { return server.is_online(); });
    if (result_.service_was_online) {
      say("stopping the CA service (CertSrvServerControlW SHUTDOWN)");
      step("stop the CA service (CertSrvServerControlW)", [&] { server.control(CSCONTROL_SHUTDOWN); });
    }
    auto context = step("CertSrvRestorePrepareW", [&] { return server.prepare_restore(CSRESTORE_TYPE_FULL); });
    bool registered = false;
    try {
      step("move the current database, logs and checkpoint aside", [&] { move_aside(); });
      for (size_t i = 0; i < result_.chain.sets.size(); ++i) {
        const auto& set = result_.chain.sets[i];
        const std::string name = fmt::format("{} set {} (generations 0x{:X}-0x{:X})", set.snapshot.kind,
                                             set.snapshot.id.substr(0, 12), set.generations.low, set.generations.high);
        step("copy the " + name, [&] { place_set(set.snapshot.id); });
        say("registering the " + name);
        step("register the " + name, [&] {
          if (i == 0) {
            context.register_restore(result_.checkpoint_folder, result_.log_folder, map_, result_.log_folder,
                                     set.generations.low, set.generations.high);
          } else {
            context.register_restore(result_.checkpoint_folder, result_.log_folder, {}, result_.log_folder,
                                     set.generations.low, set.generations.high);
          }
          registered = true;
          context.register_complete(0 /*S_OK*/);
        });
      }
      step("CertSrvRestoreEnd", [&] { context.end(); });
    } catch (...) {
      if (registered && !context.ended()) {
        try {
          context.register_complete(kRestoreAbandoned);
        } catch (...) {
          // the original failure is the one to report
        }
      }
      throw;
    }
    step("copy the dynamic files back", [&] { place_set(""); });
    result_.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result_;
  }

 private:
  void say(const std::string& line) const {
    if (options_.on_step) options_.on_step(line);
  }

  fs::path location(const std::string& path, const std::string& what) {
    const fs::path destination = check_restore_location(relocate(path, options_.relocations), what);
    if (!options_.confine_to.empty()) {
      const auto relative = destination.lexically_normal().lexically_relative(options_.confine_to.lexically_normal());
      if (relative.empty() || *relative.begin() == "..") {
        throw Error(ErrorKind::kRefused, fmt::format("{} restores to {}, outside {}; refusing to write there", what,
                                                     os::display(destination), os::display(options_.confine_to)));
      }
    }
    return destination;
  }

  void resolve_locations() {
    const auto& full = result_.chain.full().snapshot;
    std::optional<std::string> log_folder, checkpoint_folder;
    std::vector<std::string> map_databases;
    std::string first_database_original;
    for (const auto& entry : full.restore_map) {
      if (entry.type_code == CSBFT_LOG_DIR) log_folder = entry.path;
      if (entry.type_code == CSBFT_CHECKPOINT_DIR) checkpoint_folder = entry.path;
      if (entry.type_code == CSBFT_CERTSERVER_DATABASE) map_databases.push_back(entry.path);
    }
    for (const auto& record : result_.chain.full().database_files) {
      std::string original = record.api_path;
      for (const auto& candidate : map_databases) {
        if (same_name(base_name(candidate), base_name(record.path))) original = candidate;
      }
      if (original.empty()) {
        throw Error(ErrorKind::kRefused, fmt::format("snapshot {}: no restore location for database '{}'",
                                                     full.id.substr(0, 12), record.path));
      }
      const std::string relocated = relocate(original, options_.relocations);
      const fs::path destination = location(original, fmt::format("database '{}'", record.path));
      map_.emplace_back(original, relocated);
      plan(result_.chain.full().snapshot.id, record, destination);
      database_names_.insert(destination.filename().string());
      if (result_.database_path.empty()) {
        result_.database_path = relocated;
        first_database_original = original;
      }
      database_folder_ = destination.parent_path();
    }
    std::transform(database_names_.begin(), database_names_.end(), std::inserter(lower_names_, lower_names_.end()),
                   [](std::string name) {
                     std::transform(name.begin(), name.end(), name.begin(),
                                    [](unsigned char c) { return std::tolower(c); });
                     return name;
                   });
    // The fallback is taken from the stored (unrelocated) path: it is relocated below like the rest.
    if (!log_folder) log_folder = first_database_original.substr(0, first_database_original.find_last_of("/\\"));
    if (!checkpoint_folder) checkpoint_folder = *log_folder;
    result_.log_folder = relocate(*log_folder, options_.relocations);
    result_.checkpoint_folder = relocate(*checkpoint_folder, options_.relocations);
    log_folder_path_ = location(*log_folder, "restore map log folder (0x82)");
    checkpoint_folder_path_ = location(*checkpoint_folder, "restore map checkpoint folder (0x83)");
    // Each generation once, from the newest set that holds it (overlaps are equal copies).
    std::map<uint32_t, std::pair<std::string, const catalog::FileRecord*>> logs;
    for (const auto& set : result_.chain.sets) {
      for (const auto& log : set.logs) logs[*log.log_generation] = {set.snapshot.id, &log};
    }
    for (const auto& [generation, source] : logs) {
      check_relative_path(base_name(source.second->path));
      plan(source.first, *source.second, log_folder_path_ / base_name(source.second->path));
    }
    for (const auto& record : result_.chain.dynamic_files) {
      if (record.api_path.empty()) continue;
      plan("", record, location(record.api_path, fmt::format("dynamic file '{}'", record.path)));
    }
  }

  void plan(const std::string& set_id, const catalog::FileRecord& record, const fs::path& destination) {
    // Two files for one place (a damaged catalog, or names that differ only in case on
    // Windows) would silently overwrite each other: refuse before anything is written.
    std::string key = destination.lexically_normal().generic_string();
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!planned_destinations_.insert(key).second) {
      throw Error(ErrorKind::kRefused, fmt::format("two files of the snapshot restore to {} ('{}' is the second)",
                                                   os::display(destination), record.path));
    }
    StagedFile file;
    file.destination = destination;
    file.staged = destination.parent_path() / (".certvault-restore-" + destination.filename().string());
    file.size = record.size;
    file.snapshot_id = set_id;
    staged_.push_back(file);
    records_.push_back(record);
  }

  void stage_all() {
    const std::string& target_id = result_.chain.target.id;
    for (size_t i = 0; i < staged_.size(); ++i) {
      auto& file = staged_[i];
      const std::string source = file.snapshot_id.empty() ? target_id : file.snapshot_id;
      say(fmt::format("staging {} ({} bytes)", file.destination.string(), file.size));
      // Folders made here become durable with the files placed in them (place_set).
      for (const auto& folder : os::create_folders(file.destination.parent_path(), "restore")) {
        created_folders_.push_back(folder);
      }
      OutputFile output(file.staged);
      read_file_contents(repository_, source, records_[i],
                         [&](std::span<const uint8_t> bytes) { output.write(bytes); });
      output.commit();
      result_.bytes += file.size;
    }
  }

  LiveLogs scan_live_logs() const {
    LiveLogs live;
    const uint32_t last = result_.chain.generations.high;
    std::error_code ec;
    if (fs::is_directory(log_folder_path_, ec)) {
      for (const auto& entry : fs::directory_iterator(log_folder_path_, ec)) {
        if (!entry.is_regular_file(ec)) continue;
        const std::string name = entry.path().filename().string();
        std::optional<uint32_t> generation = ese::log_generation_from_name(name);
        if (lower_case(name) == "edb.log") {
          try {
            generation = ese::parse_log_generation(read_header(entry.path()));
          } catch (const Error& e) {
            throw Error(e.kind(), fmt::format("the current log {} of the CA cannot be read: {}",
                                              os::display(entry.path()), e.what()));
          }
        }
        if (generation && *generation > last) live.newer.emplace(*generation, entry.path());
      }
    }
    const fs::path checkpoint = checkpoint_folder_path_ / "edb.chk";
    if (fs::is_regular_file(checkpoint, ec)) {
      try {
        const uint32_t generation = ese::parse_checkpoint_generation(read_header(checkpoint));
        if (generation > last) live.checkpoint = generation;
      } catch (const Error& e) {
        // A damaged checkpoint says nothing either way; a restore moves it aside.
        say(fmt::format("the checkpoint {} cannot be read ({}); ignoring it", os::display(checkpoint), e.what()));
      }
    }
    return live;
  }

  // Applies --roll-forward / --point-in-time to what the log folder holds (before anything is
  // staged, and again once the CA is stopped).
  void check_live_logs(const LiveLogs& live) {
    const uint32_t last = result_.chain.generations.high;
    const std::string snapshot = result_.chain.target.id.substr(0, 12);
    result_.newer_logs = {};
    if (!live.newer.empty()) result_.newer_logs = {live.newer.begin()->first, live.newer.rbegin()->first};
    result_.newer_checkpoint = live.checkpoint;
    if (!live.any()) return;
    std::string found;
    if (!live.newer.empty()) {
      found = fmt::format("logs of generations 0x{:X}-0x{:X}", result_.newer_logs.low, result_.newer_logs.high);
    }
    if (live.checkpoint) {
      found += fmt::format("{}a checkpoint at generation 0x{:X}", found.empty() ? "" : " and ", *live.checkpoint);
    }
    switch (options_.surviving_logs) {
      case SurvivingLogs::kRefuse:
        throw Error(
            ErrorKind::kRefused,
            fmt::format(
                "the CA's log folder {} holds {}, newer than snapshot {} (its last log is generation 0x{:X}): the "
                "CA worked after this backup. Choose: --roll-forward keeps those logs so recovery replays them "
                "after the snapshot (nothing since the backup is lost); --point-in-time moves them aside and "
                "brings the CA back as it was at the end of the snapshot (what they hold is not replayed)",
                os::display(log_folder_path_), found, snapshot, last));
      case SurvivingLogs::kRollForward: {
        const auto gaps = live.gaps(last);
        if (!gaps.empty()) {
          throw Error(ErrorKind::kRefused,
                      fmt::format("--roll-forward refused: log generations {} are missing between snapshot {}'s last "
                                  "log (0x{:X}) and the surviving {} in {}; recovery cannot replay past a gap. "
                                  "Restore a newer snapshot, put the missing logs back, or use --point-in-time",
                                  describe_gaps(gaps), snapshot, last, found, os::display(log_folder_path_)));
        }
        result_.rolled_forward = !live.newer.empty();
        for (const auto& [generation, path] : live.newer) keep_.insert(path);
        return;
      }
      case SurvivingLogs::kPointInTime:
        return;
    }
  }

  void move_aside() {
    keep_.clear();
    check_live_logs(scan_live_logs());
    if (result_.rolled_forward) {
      say(fmt::format("keeping the surviving logs 0x{:X}-0x{:X} in {}: recovery replays them after the snapshot",
                      result_.newer_logs.low, result_.newer_logs.high, os::display(log_folder_path_)));
    }
    std::set<fs::path> folders{log_folder_path_, checkpoint_folder_path_, database_folder_};
    std::set<fs::path> moved_from;
    std::error_code ec;
    for (const auto& folder : folders) {
      if (!fs::is_directory(folder, ec)) continue;
      for (const auto& entry : fs::directory_iterator(folder, ec)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !is_engine_file(name, lower_names_)) continue;
        if (keep_.contains(entry.path())) continue;
        if (result_.replaced_folder.empty()) {
          result_.replaced_folder = log_folder_path_.parent_path() / ("certvault-replaced-" + utc_stamp());
          for (const auto& created : os::create_folders(result_.replaced_folder, "restore")) {
            created_folders_.push_back(created);
          }
        }
        // Separate database and log folders may hold equal names; never overwrite one with the other.
        fs::path aside = result_.replaced_folder / name;
        for (int n = 2; fs::exists(aside, ec); ++n) aside = result_.replaced_folder / fmt::format("{}.{}", name, n);
        os::replace_file(entry.path(), aside, "restore: move the previous " + name + " aside");
        moved_from.insert(folder);
      }
    }
    if (!result_.replaced_folder.empty()) {
      // The old files' new names first, then their old folders: a power cut
      // in between must not lose them from both places.
      os::sync_folder(result_.replaced_folder, "restore");
      for (const auto& created : created_folders_) os::sync_folder(created.parent_path(), "restore");
      for (const auto& folder : moved_from) os::sync_folder(folder, "restore");
      say(fmt::format("moved the previous database, logs and checkpoint to {}", result_.replaced_folder.string()));
    }
  }

  // Renames the staged files of one set (or, for "", the dynamic files) into place.
  void place_set(const std::string& set_id) {
    std::set<fs::path> folders;
    for (auto& file : staged_) {
      if (file.snapshot_id != set_id || file.placed) continue;
      os::replace_file(file.staged, file.destination, "restore: put " + os::display(file.destination) + " in place");
      file.placed = true;
      folders.insert(file.destination.parent_path());
      result_.files.push_back({file.destination.string(), file.size, set_id});
    }
    for (const auto& folder : folders) os::sync_folder(folder, "restore");
    for (const auto& folder : created_folders_) os::sync_folder(folder.parent_path(), "restore");
  }

  Repository& repository_;
  const ApiRestoreOptions& options_;
  ApiRestoreResult result_;
  std::vector<std::pair<std::string, std::string>> map_;
  std::vector<StagedFile> staged_;
  std::vector<fs::path> created_folders_;  // outermost first, for syncing their parents
  std::vector<catalog::FileRecord> records_;
  std::set<std::string> database_names_, lower_names_, planned_destinations_;
  std::set<fs::path> keep_;  // surviving logs a roll-forward leaves in place
  fs::path log_folder_path_, checkpoint_folder_path_, database_folder_;
};

}  // namespace

Relocation parse_relocation(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    throw Error(ErrorKind::kUsage, fmt::format("--relocate '{}': expected OLD=NEW (two path prefixes)", text));
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

std::string relocate(const std::string& path, const std::vector<Relocation>& relocations) {
  const std::string normal = comparable(path);
  for (const auto& relocation : relocations) {
    const std::string from = comparable(relocation.from);
    if (normal == from) return relocation.to;
    if (normal.size() > from.size() && normal.compare(0, from.size(), from) == 0 &&
        (normal[from.size()] == '/' || from.ends_with('/'))) {
      std::string rest = path.substr(from.size());
      std::string to = relocation.to;
      if (!to.empty() && (to.back() == '/' || to.back() == '\\') && !rest.empty() &&
          (rest.front() == '/' || rest.front() == '\\')) {
        rest.erase(0, 1);
      }
      return to + rest;
    }
  }
  return path;
}

ApiRestoreResult restore_through_api(Repository& repository, const std::string& snapshot_id,
                                     const ApiRestoreOptions& options) {
  if (options.server.empty()) throw Error(ErrorKind::kUsage, "no server given (--server)");
  Restore restore(repository, snapshot_id, options);
  return restore.run();
}

}  // namespace certvault
