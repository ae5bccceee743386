// Proving that a CA snapshot restores, without touching the CA.
//
// Contract: verify_snapshot() always plans the chain (export_plan.h) first.
// Then, when the snapshot's server is a simulated CA (its folder holds
// `.casim/state.json`) and `casim` and the sim library are found, it restores
// the chain through the Certadm API into a scratch simulated CA (`casim
// scratch`: the source's identity and ground truth, no database), runs
// recovery (`casim start`) and `casim verify`; the verdict is casim's
// comparison with the ground truth of the last backed-up generation. The
// source CA folder is only read (state.json, truth.log). Otherwise it checks
// the chain: full present, contiguous generations, every chunk and whole-file
// digest of every file of every set. The report says which it did and why.
// A failed check throws Error(kIntegrity) (or kRefused for a broken chain).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "certvault/operations/export_plan.h"

namespace certvault {

class Repository;

struct VerifyOptions {
  std::filesystem::path library;  // empty: certadm::Library::default_path()
  std::filesystem::path casim;    // empty: find_casim()
  bool chain_only = false;        // skip the scratch restore even for the sim
  std::function<void(const std::string&)> on_step;
};

struct VerifyReport {
  std::string method;  // "scratch-restore" or "chain-check"
  std::string why;     // why this method
  SnapshotChain chain;
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::string recovery_output;  // casim start + verify, for scratch-restore
  double seconds = 0;
};

VerifyReport verify_snapshot(Repository& repository, const std::string& snapshot_id, const VerifyOptions& options);

}  // namespace certvault
