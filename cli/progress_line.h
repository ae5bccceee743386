// A one-line progress display on stderr for interactive terminals.
//
// Contract: prints only when stderr is a TTY (or when forced, for tests), at
// most ~10 times a second, overwriting its own line; finish() clears it so the
// next output starts on a clean line. Never throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "certvault/operations/api_backup.h"

namespace certvault::cli {

class ProgressLine {
 public:
  ProgressLine();
  bool enabled() const noexcept { return enabled_; }
  void update(const BackupProgress& progress);
  void finish();

 private:
  bool enabled_;
  bool shown_ = false;
  size_t last_width_ = 0;  // of the line on screen, to blank what a shorter line leaves
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1.5 GiB", "12.0 MiB", "512 B"
std::string format_bytes(uint64_t bytes);

}  // namespace certvault::cli
