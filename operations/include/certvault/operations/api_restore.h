// Restoring a CA snapshot through the Certadm restore API.
//
// Contract: restore_through_api() runs the restore scenario of certbcli.h
// (docs/restore-runbook.md, "The API route"):
//   1. plan the chain (export_plan.h: base full, contiguous logs) and resolve
//      every destination from the full's stored restore map (database, log
//      folder, checkpoint folder) and the dynamic files' original paths, with
//      --relocate prefixes applied; every destination must pass
//      check_restore_location() — all before the CA is contacted;
//   2. stage: every file is rebuilt, verified and fsynced under a temporary
//      name (".certvault-restore-<name>") in its destination folder, so a
//      corrupt repository is found while the CA is still untouched;
//   3. CertSrvServerControlW(SHUTDOWN) when the CA is online;
//   4. CertSrvRestorePrepareW(CSRESTORE_TYPE_FULL);
//   5. the database, logs and checkpoint already in the target folders are
//      moved into a sibling folder "certvault-replaced-<UTC time>" (so later
//      logs are not replayed over a point-in-time restore, and nothing is lost);
//      with SurvivingLogs::kRollForward the logs newer than the snapshot stay
//      where they are, so recovery replays them after the snapshot's logs;
//   6. the full set's database and logs are renamed into place,
//      CertSrvRestoreRegisterW (checkpoint folder, log folder, map, backup log
//      folder, the full's genLow/genHigh), CertSrvRestoreRegisterComplete(S_OK);
//   7. for each incremental: its logs renamed into place, Register with map
//      NULL and count 0 and the set's genLow/genHigh, RegisterComplete(S_OK);
//   8. CertSrvRestoreEnd;
//   9. the dynamic files renamed over their original paths.
// A failure throws Error naming the step and (for API calls) the function and
// HRESULT; a registration already made is withdrawn with
// RegisterComplete(failure) so the CA does not recover a half restore, staged
// files are deleted, and the moved-aside files stay where the message says.
// Logs newer than the snapshot's last generation in the target log folder (or a
// checkpoint past it) are looked for in step 1 and again once the CA is
// stopped: without a choice (SurvivingLogs::kRefuse) they are Error(kRefused)
// naming their generations and both choices; kRollForward refuses
// (Error(kRefused), naming the missing generations) when they do not continue
// the snapshot's chain without a gap.
// Running the restore again is always possible. Starting the service is the
// caller's business (the API cannot start a stopped service).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "certvault/operations/export_plan.h"

namespace certvault {

class Repository;

struct Relocation {
  std::string from;  // a path prefix as stored in the restore map, e.g. "C:\\Windows\\system32\\CertLog"
  std::string to;    // its replacement
};

// Parses "OLD=NEW" (Error(kUsage) when malformed).
Relocation parse_relocation(const std::string& text);

// Applies the first relocation whose `from` is a whole-segment prefix of `path`
// (separators '/' and '\\' are treated alike; Windows paths compare
// case-insensitively only on Windows). Exposed for tests.
std::string relocate(const std::string& path, const std::vector<Relocation>& relocations);

// What happens to logs in the target log folder that are newer than the snapshot. ESE's recovery
// replays every log it finds after the restored ones, so they are either a roll-forward or, when
// moved aside, discarded from the database (a point-in-time restore).
enum class SurvivingLogs {
  kRefuse,       // refuse when there are any, explaining the choice (the default)
  kRollForward,  // keep them: recovery replays them, nothing since the backup is lost
  kPointInTime,  // move them aside: the CA comes back as of the snapshot's last log
};

struct ApiRestoreOptions {
  std::string server;
  SurvivingLogs surviving_logs = SurvivingLogs::kRefuse;
  std::filesystem::path library;  // empty: certadm::Library::default_path()
  std::vector<Relocation> relocations;
  // When set, every destination (after relocation) must lie inside this folder, or the
  // restore is refused before anything is written (verify's scratch restore sets it).
  std::filesystem::path confine_to;
  std::function<void(const std::string&)> on_step;  // one line per step, for the CLI
};

struct RestoredFile {
  std::string destination;
  uint64_t size = 0;
  std::string snapshot_id;
};

struct ApiRestoreResult {
  SnapshotChain chain;
  std::vector<RestoredFile> files;
  uint64_t bytes = 0;
  bool service_was_online = false;
  std::filesystem::path replaced_folder;  // empty when nothing had to be moved aside
  // The logs newer than the snapshot found in the log folder (low 0: none) and what was done with
  // them; newer_checkpoint is edb.chk's generation when it is past the snapshot's last log.
  GenerationRange newer_logs;
  std::optional<uint32_t> newer_checkpoint;
  bool rolled_forward = false;
  std::string database_path;
  std::string log_folder;
  std::string checkpoint_folder;
  double seconds = 0;
};

ApiRestoreResult restore_through_api(Repository& repository, const std::string& snapshot_id,
                                     const ApiRestoreOptions& options);

}  // namespace certvault
