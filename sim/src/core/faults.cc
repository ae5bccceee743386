#include "core/faults.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/file_layer.h"
#include "core/layout.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim::faults {
namespace {

using nlohmann::json;

std::filesystem::path faults_file(const std::filesystem::path& root) { return state_dir_of(root) / "faults.json"; }

files::FileLock lock_faults(const std::filesystem::path& root) {
  return files::FileLock(state_dir_of(root) / "faults.lock", files::FileLock::Kind::kExclusive);
}

json load(const std::filesystem::path& root) {
  const auto file = faults_file(root);
  if (!files::exists(file)) return json::array();
  try {
    return json::parse(files::read_text(file)).at("faults");
  } catch (const std::exception& error) {
    throw SimError(certadm_sim::kEFail, fmt::format("fault file {} is damaged: {}", path_to_utf8(file), error.what()));
  }
}

void save(const std::filesystem::path& root, const json& list) {
  files::write_text_atomic(faults_file(root), json{{"faults", list}}.dump(2) + "\n");
}

// Counts one firing; false when the fault has used up its `times`.
bool fire(json& fault) {
  const uint64_t times = fault.value("times", uint64_t{0});
  const uint64_t fired = fault.value("fired", uint64_t{0});
  if (times != 0 && fired >= times) return false;
  fault["fired"] = fired + 1;
  return true;
}

bool file_matches(const json& fault, std::string_view file) {
  const std::string wanted = fault.value("file", std::string());
  return wanted.empty() || file.find(wanted) != std::string_view::npos;
}

// casim stores a fault's HRESULT as hex text ("0x8007001E").
int32_t parse_hresult(const json& text) {
  return static_cast<int32_t>(std::stoul(text.get<std::string>(), nullptr, 16));
}

}  // namespace

void add_fault(const std::filesystem::path& root, const FaultSpec& fault) {
  auto lock = lock_faults(root);
  json list = load(root);
  list.push_back(json{{"kind", fault.kind},
                      {"call", fault.call},
                      {"hresult", fmt::format("0x{:08X}", static_cast<uint32_t>(fault.hresult))},
                      {"nth", fault.nth},
                      {"offset", fault.offset},
                      {"file", fault.file},
                      {"times", fault.times},
                      {"seen", 0},
                      {"fired", 0}});
  save(root, list);
}

void clear_faults(const std::filesystem::path& root) {
  auto lock = lock_faults(root);
  files::remove_file(faults_file(root));
}

std::string describe_faults(const std::filesystem::path& root) {
  auto lock = lock_faults(root);
  return json{{"faults", load(root)}}.dump(2);
}

std::optional<int32_t> injected_failure(const std::filesystem::path& root, std::string_view call) {
  if (!files::exists(faults_file(root))) return std::nullopt;
  auto lock = lock_faults(root);
  json list = load(root);
  std::optional<int32_t> result;
  bool changed = false;
  for (auto& fault : list) {
    if (fault.value("kind", "") != "fail" || fault.value("call", "") != call) continue;
    const uint64_t seen = fault.value("seen", uint64_t{0}) + 1;
    fault["seen"] = seen;
    changed = true;
    const uint64_t nth = fault.value("nth", uint64_t{0});
    if (!result && (nth == 0 || nth == seen) && fire(fault)) {
      result = fault.contains("hresult") ? parse_hresult(fault["hresult"]) : certadm_sim::kEFail;
    }
  }
  if (changed) save(root, list);
  return result;
}

ReadDecision on_read(const std::filesystem::path& root, std::string_view file, uint64_t position, uint64_t bytes) {
  ReadDecision decision;
  if (!files::exists(faults_file(root))) return decision;
  auto lock = lock_faults(root);
  json list = load(root);
  bool changed = false;
  for (auto& fault : list) {
    const std::string kind = fault.value("kind", "");
    const uint64_t offset = fault.value("offset", uint64_t{0});
    if (!file_matches(fault, file) || offset < position || offset >= position + bytes) continue;
    if (kind == "read_error" && !decision.error && fire(fault)) {
      decision.error = fault.contains("hresult") ? parse_hresult(fault["hresult"]) : certadm_sim::kReadFault;
      changed = true;
    } else if (kind == "short_read" && offset > position && !decision.limit && fire(fault)) {
      decision.limit = offset - position;
      changed = true;
    }
  }
  if (changed) save(root, list);
  return decision;
}

bool offline_after(const std::filesystem::path& root, std::string_view call) {
  if (!files::exists(faults_file(root))) return false;
  auto lock = lock_faults(root);
  json list = load(root);
  bool fired = false;
  for (auto& fault : list) {
    if (fault.value("kind", "") == "offline_after" && fault.value("call", "") == call && fire(fault)) fired = true;
  }
  if (fired) save(root, list);
  return fired;
}

void log_call(const std::filesystem::path& root, std::string_view call, std::optional<int32_t> hresult) {
  const std::string line =
      hresult ? fmt::format("{} 0x{:08X}\n", call, static_cast<uint32_t>(*hresult)) : fmt::format("{} -\n", call);
  files::append_text(state_dir_of(root) / "calls.log", line);
}

}  // namespace casim::faults
