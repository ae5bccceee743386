// The sim's own state (DIR/.casim/state.json) and its ground truth (truth.log).
//
// Contract: load_state throws SimError(kBadNetPath) when DIR is not a CA folder
// and SimError(kEFail) when state.json is damaged; save_state replaces the file
// atomically. Callers hold the folder's engine lock around load-modify-save.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/formats.h"
#include "core/layout.h"

namespace casim {

struct SimState {
  std::string ca_name;  // UTF-8
  uint64_t seed = 0;
  uint32_t page_count = 0;             // data pages (numbered 1..page_count)
  uint32_t current_generation = 1;     // generation of edb.log
  uint32_t log_used = kLogHeaderSize;  // bytes of edb.log holding its header and records
  uint64_t log_created = 0;            // creation time of edb.log (and of the previous log)
  uint64_t previous_log_created = 0;
  uint32_t checkpoint_generation = 1;
  bool online = true;
  uint64_t certificates = 0;
  uint64_t revocations = 0;
  uint64_t crl_number = 0;
  uint64_t dbtime = 0;
  uint64_t digest = 0;  // sum of digest_term over all pages
  Signature db_signature;
  Signature log_signature;
  BackupInfo last_full;
  BackupInfo last_incremental;
  uint32_t epoch = 0;              // history number: each restore-recovery starts a new one
  uint32_t truth_generation = 1;   // generation whose truth line describes the current state
  uint32_t recovered_through = 0;  // last generation the last recovery replayed (0: never)
};

bool is_ca_folder(const std::filesystem::path& root);
SimState load_state(const std::filesystem::path& root);
void save_state(const CaLayout& layout, const SimState& state);
CaLayout layout_of(const std::filesystem::path& root, const SimState& state);

// One line of truth.log: the logical state after the last transaction of `generation`.
struct TruthLine {
  uint32_t epoch = 0;
  uint32_t generation = 0;
  uint64_t digest = 0;
  uint32_t page_count = 0;
  uint64_t certificates = 0;
  uint64_t revocations = 0;
};

void append_truth(const CaLayout& layout, const SimState& state, uint32_t generation);
// The newest line of `epoch` whose generation is <= `generation` (the state at the end of that generation).
std::optional<TruthLine> find_truth(const CaLayout& layout, uint32_t epoch, uint32_t generation);

uint64_t now_seconds();

}  // namespace casim
