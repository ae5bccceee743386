#include "core/recovery.h"

#include <fmt/format.h>

#include <array>
#include <map>

#include "core/engine.h"
#include "core/file_layer.h"
#include "core/log_reader.h"
#include "core/page_content.h"
#include "core/restore_record.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {
namespace {

uint64_t page_offset(uint32_t page) { return static_cast<uint64_t>(page + kHeaderPages - 1) * kPageSize; }

struct ChainLog {
  std::filesystem::path path;
  bool is_current = false;  // an edb.log (its generation comes from its header)
};

// Finds every log of generation >= gen_low in `folders`: finished logs by name, edb.log by header.
std::map<uint32_t, ChainLog> find_logs(const std::vector<std::filesystem::path>& folders, uint32_t gen_low) {
  std::map<uint32_t, ChainLog> logs;
  for (const auto& folder : folders) {
    if (!files::exists(folder)) continue;
    for (const auto& name : files::list_file_names(folder)) {
      if (auto generation = generation_from_log_name(name)) {
        if (*generation >= gen_low) logs.emplace(*generation, ChainLog{folder / name, false});
      } else if (name == "edb.log") {
        files::File file(folder / name, files::OpenMode::kRead);
        std::array<uint8_t, kLogHeaderSize> block{};
        if (file.read_at(0, block) != block.size()) continue;
        const uint32_t generation = load_u32(block, kLogGenerationOffset);
        if (generation >= gen_low) logs.emplace(generation, ChainLog{folder / name, true});
      }
    }
  }
  return logs;
}

struct ReplayResult {
  uint64_t records = 0;
  uint64_t applied = 0;
  LogHeader last_header;
};

// Validates the whole chain first, then applies it: a refusal leaves the database untouched.
ReplayResult replay(const CaLayout& layout, const std::map<uint32_t, ChainLog>& logs, uint32_t first, uint32_t last,
                    const Signature& signature) {
  std::vector<LoadedLog> loaded;
  for (uint32_t generation = first; generation <= last; ++generation) {
    auto found = logs.find(generation);
    if (found == logs.end()) {
      throw SimError(certadm_sim::kJetMissingLogFile,
                     fmt::format("recovery refused: log generation {} ({}) is missing; generations {}..{} must all be "
                                 "present (JET_errMissingLogFile -528)",
                                 generation, finished_log_name(generation), first, last));
    }
    loaded.push_back(read_log(found->second.path, generation, signature));
    if (loaded.size() > 1 && loaded.back().header.previous_created != loaded[loaded.size() - 2].header.created) {
      throw SimError(
          certadm_sim::kJetInvalidLogSequence,
          fmt::format("recovery refused: log {} does not follow generation {} (previous-log time {} at "
                      "offset {} differs from {}) (JET_errInvalidLogSequence -515)",
                      path_to_utf8(found->second.path), generation - 1, loaded.back().header.previous_created,
                      kLogPreviousCreatedOffset, loaded[loaded.size() - 2].header.created));
    }
  }
  ReplayResult result;
  files::File database(layout.database, files::OpenMode::kReadWrite);
  for (const auto& log : loaded) {
    for (const auto& record : log.records) {
      ++result.records;
      std::array<uint8_t, 16> page_header{};
      const uint64_t offset = page_offset(record.page);
      const bool present = database.read_at(offset, page_header) == page_header.size();
      const uint64_t counter = present ? load_u64(page_header, kPageCounterOffset) : 0;
      if (counter < record.counter) {
        database.write_at(offset, record.image);
        ++result.applied;
      }
    }
  }
  if (!loaded.empty()) result.last_header = loaded.back().header;
  return result;
}

std::string strip_type_code(const std::string& name) {
  if (!name.empty() && name[0] != '/' && name.size() > 1 && static_cast<unsigned char>(name[0]) < 0x80 &&
      std::string_view("!\"%D\x0f").find(name[0]) != std::string_view::npos) {
    return name.substr(1);
  }
  return name;
}

StartReport recover_restore(Engine& engine, const RestoreRecord& record) {
  SimState& state = engine.state();
  const CaLayout& layout = engine.layout();
  if (!record.complete) {
    throw SimError(certadm_sim::kEFail,
                   "start refused: a restore is registered but not completed (CertSrvRestoreRegisterComplete with a "
                   "success code was not called); complete it, or remove .casim/restore.json to abandon it");
  }
  if (record.sets.empty() || !record.sets.front().full) {
    throw SimError(certadm_sim::kJetMissingFullBackup, "start refused: the registered restore has no full set");
  }
  const std::string database = path_to_utf8(layout.database);
  for (const auto& [name, new_name] : record.map) {
    const auto target = std::filesystem::absolute(path_from_utf8(strip_type_code(new_name))).lexically_normal();
    if (target != layout.database) {
      throw SimError(certadm_sim::kEInvalidArg,
                     fmt::format("start refused: the restore map puts database {} at {}, but this CA keeps its "
                                 "database at {}",
                                 name, new_name, database));
    }
  }
  const uint32_t gen_low = record.sets.front().gen_low;
  uint32_t gen_high = 0;
  for (const auto& set : record.sets) gen_high = std::max(gen_high, set.gen_high);
  const DbHeader header = engine.read_db_header();
  if (header.gen_min_required < gen_low) {
    throw SimError(certadm_sim::kJetMissingLogFile,
                   fmt::format("recovery refused: the restored database {} needs logs from generation {} but the "
                               "restore starts at {} (JET_errMissingLogFile -528)",
                               database, header.gen_min_required, gen_low));
  }
  std::vector<std::filesystem::path> folders{path_from_utf8(record.log_path)};
  if (record.backup_log_path != record.log_path && !record.backup_log_path.empty()) {
    folders.push_back(path_from_utf8(record.backup_log_path));
  }
  const auto logs = find_logs(folders, gen_low);
  const uint32_t last = logs.empty() ? gen_low : std::max(logs.rbegin()->first, gen_high);
  const ReplayResult result = replay(layout, logs, gen_low, last, header.log_signature);

  // The chain is applied; retire a replayed edb.log and start the next generation.
  for (const auto& [generation, log] : logs) {
    if (log.is_current) files::rename_file(log.path, log.path.parent_path() / finished_log_name(generation));
  }
  const uint32_t replay_epoch = result.last_header.epoch;
  state.log_signature = header.log_signature;
  state.previous_log_created = result.last_header.created;
  state.log_created = std::max(now_seconds(), result.last_header.created + 1);
  state.current_generation = last + 1;
  state.log_used = kLogHeaderSize;
  state.epoch = state.epoch + 1;
  create_log_file(layout.current_log, LogHeader{state.current_generation, state.log_created, state.previous_log_created,
                                                state.log_signature, state.epoch});
  engine.write_checkpoint(state.current_generation);
  files::File database_file(layout.database, files::OpenMode::kRead);
  state.page_count =
      static_cast<uint32_t>(std::max<uint64_t>(database_file.size() / kPageSize, kHeaderPages)) - kHeaderPages;
  database_file.close();

  StartReport report;
  report.restored = true;
  report.first_generation = gen_low;
  report.last_generation = last;
  report.records = result.records;
  report.applied = result.applied;
  const auto truth = find_truth(layout, replay_epoch, last);
  report.truth_found = truth.has_value();
  if (truth) {
    state.digest = truth->digest;
    state.certificates = truth->certificates;
    state.revocations = truth->revocations;
    state.truth_generation = last;
  } else {
    state.truth_generation = 0;  // verify reports that no ground truth exists
  }
  state.recovered_through = last;
  state.last_full = BackupInfo{};  // sets from before the restore do not chain with later ones
  state.last_incremental = BackupInfo{};
  state.online = true;
  engine.update_db_header([&](DbHeader& updated) {
    updated.state = static_cast<uint32_t>(DbState::kDirtyShutdown);
    updated.dbtime = state.dbtime;
    updated.gen_min_required = state.current_generation;
    updated.gen_max_required = state.current_generation;
    updated.last_full = BackupInfo{};
    updated.last_incremental = BackupInfo{};
  });
  engine.save();
  if (truth) {
    append_truth(layout, state, last);
  }
  files::rename_file(layout.restore_file, layout.state_dir / "restore.done.json");
  return report;
}

StartReport soft_recovery(Engine& engine) {
  SimState& state = engine.state();
  const CaLayout& layout = engine.layout();
  const auto logs = find_logs({layout.certlog}, state.checkpoint_generation);
  const ReplayResult result =
      replay(layout, logs, state.checkpoint_generation, state.current_generation, state.log_signature);
  state.online = true;
  engine.update_db_header([&](DbHeader& header) {
    header.state = static_cast<uint32_t>(DbState::kDirtyShutdown);
    header.gen_max_required = state.current_generation;
  });
  engine.save();
  StartReport report;
  report.first_generation = state.checkpoint_generation;
  report.last_generation = state.current_generation;
  report.records = result.records;
  report.applied = result.applied;
  return report;
}

}  // namespace

StartReport start_ca(const std::filesystem::path& root) {
  Engine engine(root);
  if (const auto record = load_restore(engine.layout())) {
    if (engine.state().online) {
      throw SimError(certadm_sim::kServiceAlreadyRunning,
                     "start refused: the CA is running but a restore is registered");
    }
    return recover_restore(engine, *record);
  }
  if (engine.state().online) {
    StartReport report;
    report.already_running = true;
    return report;
  }
  return soft_recovery(engine);
}

}  // namespace casim
