// Starting the CA: crash recovery from the checkpoint, or the recovery of a
// registered restore (replay of the restored logs onto the restored database).
//
// Contract: start_ca either brings the CA online with every replayable record
// applied, or throws SimError naming the missing/torn/foreign log and leaves the
// CA stopped and the restore record in place (nothing is renamed before the
// whole chain has been validated).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace casim {

struct StartReport {
  bool already_running = false;
  bool restored = false;
  uint32_t first_generation = 0;  // replayed generations
  uint32_t last_generation = 0;
  uint64_t records = 0;
  uint64_t applied = 0;     // records whose page was older than the record
  bool truth_found = true;  // the ground truth of last_generation exists (restore only)
};

StartReport start_ca(const std::filesystem::path& root);

}  // namespace casim
