#include "core/layout.h"

#include <fmt/format.h>

#include <cctype>

#include "core/utf.h"

namespace casim {

fs::path state_dir_of(const fs::path& root) { return root / ".casim"; }
fs::path state_file_of(const fs::path& root) { return state_dir_of(root) / "state.json"; }

CaLayout::CaLayout(const fs::path& root_folder, std::string_view ca_name_utf8) : root(root_folder) {
  certlog = root / "CertLog";
  database = certlog / path_from_utf8(std::string(ca_name_utf8) + ".edb");
  current_log = certlog / "edb.log";
  checkpoint = certlog / "edb.chk";
  certenroll = root / "CertEnroll";
  certificate = certenroll / path_from_utf8(std::string(ca_name_utf8) + ".crt");
  crl = certenroll / path_from_utf8(std::string(ca_name_utf8) + ".crl");
  delta_crl = certenroll / path_from_utf8(std::string(ca_name_utf8) + "+.crl");
  state_dir = state_dir_of(root);
  state_file = state_file_of(root);
  truth_file = state_dir / "truth.log";
  calls_file = state_dir / "calls.log";
  faults_file = state_dir / "faults.json";
  lock_file = state_dir / "lock";
  backup_lock_file = state_dir / "backup.lock";
  restore_file = state_dir / "restore.json";
  changed_pages_file = state_dir / "changed_pages.log";
}

fs::path CaLayout::finished_log(uint32_t generation) const { return certlog / finished_log_name(generation); }

std::string finished_log_name(uint32_t generation) {
  return generation <= 0xFFFFF ? fmt::format("edb{:05X}.log", generation) : fmt::format("edb{:08X}.log", generation);
}

std::optional<uint32_t> generation_from_log_name(std::string_view name) {
  if (name.size() != 12 && name.size() != 15) return std::nullopt;
  if (name.substr(0, 3) != "edb" || name.substr(name.size() - 4) != ".log") return std::nullopt;
  uint32_t generation = 0;
  for (char c : name.substr(3, name.size() - 7)) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return std::nullopt;
    generation = generation * 16 + static_cast<uint32_t>(digit);
  }
  return generation;
}

}  // namespace casim
