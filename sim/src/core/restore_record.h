// A restore registered through CertSrvRestoreRegisterW (DIR/.casim/restore.json).
//
// Contract: the first set is the full one (it carries the restore map); each
// later set is an incremental (logs only). `casim start` recovers only a record
// marked complete by CertSrvRestoreRegisterComplete(S_OK).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/layout.h"

namespace casim {

struct RestoreSet {
  uint32_t gen_low = 0;
  uint32_t gen_high = 0;
  bool full = false;
};

struct RestoreRecord {
  std::string checkpoint_path;  // UTF-8
  std::string log_path;
  std::string backup_log_path;
  std::vector<std::pair<std::string, std::string>> map;  // database name -> new name
  std::vector<RestoreSet> sets;
  bool complete = false;
};

std::optional<RestoreRecord> load_restore(const CaLayout& layout);
void save_restore(const CaLayout& layout, const RestoreRecord& record);

}  // namespace casim
