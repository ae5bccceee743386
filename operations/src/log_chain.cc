#include "certvault/operations/log_chain.h"

#include <fmt/format.h>

#include <algorithm>

namespace certvault {

std::string describe_gaps(const GenerationGaps& gaps) {
  std::string text;
  for (const auto& [first, last] : gaps) {
    if (!text.empty()) text += ", ";
    text += first == last ? fmt::format("0x{:X}", first) : fmt::format("0x{:X}-0x{:X}", first, last);
  }
  return text;
}

std::optional<GenerationSet> summarize_generations(std::vector<uint32_t> generations) {
  if (generations.empty()) return std::nullopt;
  std::sort(generations.begin(), generations.end());
  generations.erase(std::unique(generations.begin(), generations.end()), generations.end());
  GenerationSet set;
  set.range = {generations.front(), generations.back()};
  for (size_t i = 1; i < generations.size(); ++i) {
    if (generations[i] != generations[i - 1] + 1) set.gaps.emplace_back(generations[i - 1] + 1, generations[i] - 1);
  }
  return set;
}

Continuation check_continuation(uint32_t previous_high, GenerationRange next) {
  Continuation result;
  // Overflow-safe: previous_high + 1 could wrap only at generation 0xFFFFFFFF.
  if (next.low <= previous_high || next.low - previous_high == 1) {
    result.continues = next.high >= previous_high;
    return result;
  }
  result.missing.emplace_back(previous_high + 1, next.low - 1);
  return result;
}

AutoDecision decide_backup_kind(std::optional<std::chrono::seconds> last_full_age, bool chain_intact,
                                std::chrono::seconds full_every) {
  using std::chrono::duration_cast;
  using std::chrono::hours;
  if (!last_full_age) return {BackupKind::kFull, "no committed full backup of this server in the repository"};
  if (!chain_intact) return {BackupKind::kFull, "the log chain since the last full backup is broken"};
  if (*last_full_age >= full_every) {
    return {BackupKind::kFull,
            fmt::format("the last full backup is {} h old (--full-every is {} h)",
                        duration_cast<hours>(*last_full_age).count(), duration_cast<hours>(full_every).count())};
  }
  return {BackupKind::kIncremental, fmt::format("the last full backup is {} h old and its log chain is intact",
                                                duration_cast<hours>(*last_full_age).count())};
}

}  // namespace certvault
