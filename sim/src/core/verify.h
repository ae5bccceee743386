// casim verify: page checksums and contents, log continuity, and the logical
// state against the ground truth the sim recorded.
//
// Contract: ok is true only when every page, every log and the digest agree;
// problems lists what disagreed (at most a few per kind, then a count).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace casim {

struct VerifyReport {
  bool ok = false;
  std::vector<std::string> problems;
  uint32_t pages = 0;
  uint32_t logs = 0;
  uint32_t truth_epoch = 0;
  uint32_t truth_generation = 0;  // the generation verified against (0: no ground truth)
  uint64_t digest = 0;
};

VerifyReport verify_ca(const std::filesystem::path& root);

}  // namespace casim
