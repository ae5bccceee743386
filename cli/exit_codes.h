// Process exit codes of `certvault`. Documented in README.md ("Exit codes")
// and in `certvault --help`; scripts depend on them, so never renumber.
#pragma once

namespace certvault::cli {
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // an operation failed (I/O, catalog, unexpected state)
  kExitUsage = 2,            // bad command line or bad argument value
  kExitLocked = 3,           // the repository is locked by another process
  kExitIntegrity = 4,        // corruption or a failed verification was found
  kExitApi = 5,              // the Certadm API (or the CA) reported a failure
  kExitRefused = 6,          // refused by a safety rule (broken log chain, non-empty target, ...)
  kExitInternal = 7,         // an internal error: a bug in certvault (the message says what broke)
  kExitSessionEnd = 8,       // backup: the snapshot is committed, but the CA did not record the end of the
                             // backup (CertSrvBackupEnd failed)
  kExitKeyRejected = 9,      // an encrypted repository's key slots all refused the passphrase or key file
  kExitStatusWarning = 10,   // status: the verdict is WARNING (a stale series, an open truncation failure)
  kExitStatusCritical = 11,  // status: the verdict is CRITICAL (no recent snapshot, a broken chain, a failed
                             // verification); `status --plugin` uses the plugin convention 0/1/2/3 instead
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 repository locked, 4 integrity problem,\n"
    "            5 Certadm API/CA failure, 6 refused by a safety rule (e.g. migrate --encrypt of an\n"
    "            encrypted repository), 7 internal error (a bug),\n"
    "            8 backup committed but the CA did not record its end (CertSrvBackupEnd failed),\n"
    "            9 wrong passphrase or key file (no key slot of the repository opened),\n"
    "            10 status: WARNING, 11 status: CRITICAL (status --plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).";
}  // namespace certvault::cli
