#include "core/state.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {
namespace {

using nlohmann::json;

json to_json_info(const BackupInfo& info) {
  return json{{"gen_low", info.gen_low}, {"gen_high", info.gen_high}, {"time", info.time}};
}

BackupInfo from_json_info(const json& value) {
  return BackupInfo{value.at("gen_low").get<uint32_t>(), value.at("gen_high").get<uint32_t>(),
                    value.at("time").get<uint64_t>()};
}

json to_json_signature(const Signature& signature) {
  return json{{"random", signature.random}, {"time", signature.time}};
}

Signature from_json_signature(const json& value) {
  return Signature{value.at("random").get<uint32_t>(), value.at("time").get<uint64_t>()};
}

}  // namespace

uint64_t now_seconds() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

bool is_ca_folder(const std::filesystem::path& root) { return files::exists(state_file_of(root)); }

SimState load_state(const std::filesystem::path& root) {
  const auto file = state_file_of(root);
  if (!files::exists(file)) {
    throw SimError(certadm_sim::kBadNetPath,
                   fmt::format("{} is not a simulated CA folder (no {})", path_to_utf8(root), path_to_utf8(file)));
  }
  try {
    const json value = json::parse(files::read_text(file));
    SimState state;
    state.ca_name = value.at("ca_name").get<std::string>();
    state.seed = value.at("seed").get<uint64_t>();
    state.page_count = value.at("page_count").get<uint32_t>();
    state.current_generation = value.at("current_generation").get<uint32_t>();
    state.log_used = value.at("log_used").get<uint32_t>();
    state.log_created = value.at("log_created").get<uint64_t>();
    state.previous_log_created = value.at("previous_log_created").get<uint64_t>();
    state.checkpoint_generation = value.at("checkpoint_generation").get<uint32_t>();
    state.online = value.at("online").get<bool>();
    state.certificates = value.at("certificates").get<uint64_t>();
    state.revocations = value.at("revocations").get<uint64_t>();
    state.crl_number = value.at("crl_number").get<uint64_t>();
    state.dbtime = value.at("dbtime").get<uint64_t>();
    state.digest = std::stoull(value.at("digest").get<std::string>(), nullptr, 16);
    state.db_signature = from_json_signature(value.at("db_signature"));
    state.log_signature = from_json_signature(value.at("log_signature"));
    state.last_full = from_json_info(value.at("last_full_backup"));
    state.last_incremental = from_json_info(value.at("last_incremental_backup"));
    state.epoch = value.at("epoch").get<uint32_t>();
    state.truth_generation = value.at("truth_generation").get<uint32_t>();
    state.recovered_through = value.at("recovered_through").get<uint32_t>();
    return state;
  } catch (const SimError&) {
    throw;
  } catch (const std::exception& error) {
    throw SimError(certadm_sim::kEFail, fmt::format("state file {} is damaged: {}", path_to_utf8(file), error.what()));
  }
}

void save_state(const CaLayout& layout, const SimState& state) {
  const json value{
      {"format", 1},
      {"ca_name", state.ca_name},
      {"seed", state.seed},
      {"page_count", state.page_count},
      {"current_generation", state.current_generation},
      {"log_used", state.log_used},
      {"log_created", state.log_created},
      {"previous_log_created", state.previous_log_created},
      {"checkpoint_generation", state.checkpoint_generation},
      {"online", state.online},
      {"certificates", state.certificates},
      {"revocations", state.revocations},
      {"crl_number", state.crl_number},
      {"dbtime", state.dbtime},
      {"digest", fmt::format("{:016x}", state.digest)},
      {"db_signature", to_json_signature(state.db_signature)},
      {"log_signature", to_json_signature(state.log_signature)},
      {"last_full_backup", to_json_info(state.last_full)},
      {"last_incremental_backup", to_json_info(state.last_incremental)},
      {"epoch", state.epoch},
      {"truth_generation", state.truth_generation},
      {"recovered_through", state.recovered_through},
  };
  files::write_text_atomic(layout.state_file, value.dump(2) + "\n");
}

CaLayout layout_of(const std::filesystem::path& root, const SimState& state) { return CaLayout(root, state.ca_name); }

void append_truth(const CaLayout& layout, const SimState& state, uint32_t generation) {
  files::append_text(layout.truth_file, fmt::format("{} {} {:016x} {} {} {}\n", state.epoch, generation, state.digest,
                                                    state.page_count, state.certificates, state.revocations));
}

std::optional<TruthLine> find_truth(const CaLayout& layout, uint32_t epoch, uint32_t generation) {
  if (!files::exists(layout.truth_file)) return std::nullopt;
  std::istringstream lines(files::read_text(layout.truth_file));
  std::optional<TruthLine> found;
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    TruthLine truth;
    std::string digest;
    if (!(fields >> truth.epoch >> truth.generation >> digest >> truth.page_count >> truth.certificates >>
          truth.revocations)) {
      continue;
    }
    try {
      truth.digest = std::stoull(digest, nullptr, 16);
    } catch (const std::exception&) {
      continue;  // a damaged line describes nothing
    }
    if (truth.epoch == epoch && truth.generation <= generation) found = truth;
  }
  return found;
}

}  // namespace casim
