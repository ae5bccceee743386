// Log-generation arithmetic for CA backups.
//
// Contract: pure functions, no I/O. They decide whether a set of ESE log
// generations is contiguous, whether a logs-only backup continues the chain of
// the snapshots before it, and which backup type `--type auto` takes. Every
// refusal carries a message an administrator can act on (which generations are
// missing, what to do).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certvault {

struct GenerationRange {
  uint32_t low = 0;
  uint32_t high = 0;
  friend bool operator==(const GenerationRange&, const GenerationRange&) = default;
};

// Gaps as inclusive [first, last] generation pairs.
using GenerationGaps = std::vector<std::pair<uint32_t, uint32_t>>;

// "0x15" or "0x15-0x1A, 0x20": ESE names logs by hexadecimal generation.
std::string describe_gaps(const GenerationGaps& gaps);

// The range covered by `generations` (any order, duplicates allowed) and the
// generations missing inside it. Empty input gives nullopt.
struct GenerationSet {
  GenerationRange range;
  GenerationGaps gaps;
};
std::optional<GenerationSet> summarize_generations(std::vector<uint32_t> generations);

// Whether logs `next` continue a chain that ended at `previous_high`: the next
// set may overlap the previous one (logs kept after the checkpoint are listed
// again) but must leave no generation between them unsaved.
struct Continuation {
  bool continues = false;
  GenerationGaps missing;  // generations neither snapshot holds
};
Continuation check_continuation(uint32_t previous_high, GenerationRange next);

enum class BackupKind { kFull, kIncremental };

// What `--type auto` picks before contacting the CA. `last_full_age` is empty
// when the repository holds no committed full of this server; `chain_intact`
// says whether the snapshots since that full hold a contiguous generation range.
struct AutoDecision {
  BackupKind kind = BackupKind::kFull;
  std::string reason;
};
AutoDecision decide_backup_kind(std::optional<std::chrono::seconds> last_full_age, bool chain_intact,
                                std::chrono::seconds full_every);

}  // namespace certvault
