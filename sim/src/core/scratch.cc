#include "core/scratch.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "certadm_sim/hresults.h"
#include "core/file_layer.h"
#include "core/layout.h"
#include "core/restore_record.h"
#include "core/sim_error.h"
#include "core/state.h"
#include "core/utf.h"

namespace casim {

void make_scratch_ca(const std::filesystem::path& source, const std::filesystem::path& target) {
  auto state = load_state(source);
  if (files::exists(target)) {
    throw SimError(certadm_sim::kEInvalidArg, fmt::format("scratch target {} already exists", path_to_utf8(target)));
  }
  const CaLayout from(source, state.ca_name);
  const CaLayout to(target, state.ca_name);
  files::create_directories(to.certlog);
  files::create_directories(to.certenroll);
  files::create_directories(to.state_dir);
  state.online = false;
  save_state(to, state);
  files::write_text_atomic(to.truth_file, files::exists(from.truth_file) ? files::read_text(from.truth_file) : "");
}

}  // namespace casim

namespace casim {
namespace {

struct MapEntry {
  char16_t type_code = 0;
  std::string path;
};

std::vector<MapEntry> parse_restore_map(const std::vector<uint8_t>& raw, const std::filesystem::path& file) {
  if (raw.size() % 2 != 0) {
    throw SimError(certadm_sim::kEInvalidArg, fmt::format("{} has an odd size", path_to_utf8(file)));
  }
  std::u16string text(raw.size() / 2, u'\0');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char16_t>(raw[2 * i] | (raw[2 * i + 1] << 8));
  std::vector<MapEntry> entries;
  size_t start = 0;
  while (start < text.size() && text[start] != u'\0') {
    const size_t end = text.find(u'\0', start);
    if (end == std::u16string::npos) {
      throw SimError(certadm_sim::kEInvalidArg,
                     fmt::format("{}: the multi-string is not terminated", path_to_utf8(file)));
    }
    if (end - start < 2) {
      throw SimError(certadm_sim::kEInvalidArg, fmt::format("{}: an entry has no path", path_to_utf8(file)));
    }
    entries.push_back({text[start], utf16_to_utf8(std::u16string_view(text).substr(start + 1, end - start - 1))});
    start = end + 1;
  }
  return entries;
}

}  // namespace

std::pair<uint32_t, uint32_t> restore_backup_folder(const std::filesystem::path& backup,
                                                    const std::filesystem::path& root) {
  const auto state = load_state(root);
  if (state.online) throw SimError(certadm_sim::kServiceAlreadyRunning, "stop the CA service before a restore");
  const CaLayout layout(root, state.ca_name);
  const auto database_folder = backup / "DataBase";
  const auto map_file = database_folder / "certbkxp.dat";
  if (!files::exists(map_file)) {
    throw SimError(certadm_sim::kFileNotFound, fmt::format("{} is missing", path_to_utf8(map_file)));
  }
  std::string database, log_folder, checkpoint_folder;
  for (const auto& entry : parse_restore_map(files::read_bytes(map_file), map_file)) {
    if (entry.type_code == 0x44) database = entry.path;
    if (entry.type_code == 0x82) log_folder = entry.path;
    if (entry.type_code == 0x83) checkpoint_folder = entry.path;
  }
  if (database.empty() || log_folder.empty()) {
    throw SimError(certadm_sim::kEInvalidArg,
                   fmt::format("{} names no database (0x44) or no log folder (0x82)", path_to_utf8(map_file)));
  }
  if (path_from_utf8(database) != layout.database) {
    throw SimError(certadm_sim::kEInvalidArg, fmt::format("the backup's database {} is not this CA's {}", database,
                                                          path_to_utf8(layout.database)));
  }
  std::vector<uint32_t> generations;
  for (const auto& name : files::list_file_names(database_folder)) {
    if (const auto generation = generation_from_log_name(name)) generations.push_back(*generation);
  }
  std::sort(generations.begin(), generations.end());
  if (generations.empty()) {
    throw SimError(certadm_sim::kJetMissingLogFile, fmt::format("{} holds no logs", path_to_utf8(database_folder)));
  }
  for (size_t i = 1; i < generations.size(); ++i) {
    if (generations[i] != generations[i - 1] + 1) {
      throw SimError(
          certadm_sim::kJetMissingLogFile,
          fmt::format("{}: log generation {} is missing", path_to_utf8(database_folder), generations[i - 1] + 1));
    }
  }
  const auto database_name = path_from_utf8(database).filename();
  files::create_directories(layout.certlog);
  files::write_bytes(layout.database, files::read_bytes(database_folder / database_name));
  const auto logs_to = path_from_utf8(log_folder);
  files::create_directories(logs_to);
  for (const uint32_t generation : generations) {
    const auto name = finished_log_name(generation);
    files::write_bytes(logs_to / name, files::read_bytes(database_folder / name));
  }
  RestoreRecord record;
  record.checkpoint_path = checkpoint_folder.empty() ? log_folder : checkpoint_folder;
  record.log_path = log_folder;
  record.backup_log_path = log_folder;
  record.map.emplace_back(database, database);
  record.sets.push_back(RestoreSet{generations.front(), generations.back(), true});
  record.complete = true;
  save_restore(layout, record);
  return {generations.front(), generations.back()};
}

}  // namespace casim
