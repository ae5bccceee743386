#include "core/restore_record.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {

std::optional<RestoreRecord> load_restore(const CaLayout& layout) {
  if (!files::exists(layout.restore_file)) return std::nullopt;
  try {
    const auto value = nlohmann::json::parse(files::read_text(layout.restore_file));
    RestoreRecord record;
    record.checkpoint_path = value.at("checkpoint_path").get<std::string>();
    record.log_path = value.at("log_path").get<std::string>();
    record.backup_log_path = value.at("backup_log_path").get<std::string>();
    for (const auto& entry : value.at("map")) {
      record.map.emplace_back(entry.at(0).get<std::string>(), entry.at(1).get<std::string>());
    }
    for (const auto& set : value.at("sets")) {
      record.sets.push_back(RestoreSet{set.at("gen_low").get<uint32_t>(), set.at("gen_high").get<uint32_t>(),
                                       set.at("full").get<bool>()});
    }
    record.complete = value.at("complete").get<bool>();
    return record;
  } catch (const std::exception& error) {
    throw SimError(certadm_sim::kEFail,
                   fmt::format("restore record {} is damaged: {}", path_to_utf8(layout.restore_file), error.what()));
  }
}

void save_restore(const CaLayout& layout, const RestoreRecord& record) {
  nlohmann::json map = nlohmann::json::array();
  for (const auto& [name, new_name] : record.map) map.push_back({name, new_name});
  nlohmann::json sets = nlohmann::json::array();
  for (const auto& set : record.sets) {
    sets.push_back({{"gen_low", set.gen_low}, {"gen_high", set.gen_high}, {"full", set.full}});
  }
  const nlohmann::json value{{"checkpoint_path", record.checkpoint_path},
                             {"log_path", record.log_path},
                             {"backup_log_path", record.backup_log_path},
                             {"map", map},
                             {"sets", sets},
                             {"complete", record.complete}};
  files::write_text_atomic(layout.restore_file, value.dump(2) + "\n");
}

}  // namespace casim
