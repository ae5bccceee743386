// Backing up a live CA through the Certadm API into a repository.
//
// Contract: back_up_server() runs the backup scenario of certbcli.h (online
// check, prepare, restore map, database files, logs, dynamic files) and
// streams every byte CertSrvBackupRead returns straight into the repository's
// chunker — no temporary copy on disk. It commits the snapshot, and only then,
// unless keep_logs is set, truncates the CA's logs with the CommittedSnapshot
// as proof and records the result in the catalog. Any failure before the
// commit ends the Certadm session (CertSrvBackupEnd), truncates nothing, leaves
// no visible snapshot, and throws an Error naming the function, HRESULT, file
// and offset. A failed truncation after a good commit is reported in the
// result (the snapshot is safe), not thrown; so is a failed CertSrvBackupEnd after
// the commit (session_end_error).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "certvault/operations/log_chain.h"
#include "certvault/operations/recovery_set.h"

namespace certvault {

class Repository;

enum class RequestedBackupType { kFull, kIncremental, kAuto };

struct BackupProgress {
  std::string file;               // path as the API gave it
  uint64_t file_done = 0;         // bytes of this file read so far
  uint64_t file_size = 0;         // its size, from CertSrvBackupOpenFile
  uint64_t total_done = 0;        // bytes read in this backup so far
  uint64_t total_expected = 0;    // best estimate of all bytes to read (grows as lists arrive)
  uint64_t new_bytes_stored = 0;  // bytes written to packs so far (after dedup and compression)
  double elapsed_seconds = 0;
};

struct ApiBackupOptions {
  std::string server;             // the CA's computer, NetBIOS or DNS name (simulated CA: its folder)
  std::filesystem::path library;  // empty: certadm::Library::default_path()
  RequestedBackupType type = RequestedBackupType::kAuto;
  std::chrono::seconds full_every = std::chrono::hours(24 * 7);
  bool keep_logs = false;
  bool with_config = true;  // a full also stores the recovery set under Config/ (recovery_set.h)
  // Set (--with-key): a full also stores the CA's private key as Config/<CA>.p12 protected by this
  // passphrase. Refused (ErrorKind::kRefused, before the CA is asked) unless the repository is
  // encrypted; a key that cannot be exported is recorded in the snapshot as a missing file.
  std::optional<std::string> key_passphrase;
  std::vector<std::string> tags;
  uint32_t read_buffer_bytes = 4u << 20;  // docs/benchmarks.md, "End-to-end backup": a second full's speed for 9 MiB
  std::function<void(const BackupProgress&)> on_progress;  // called at most every ~100 ms
};

struct ApiBackupResult {
  std::string snapshot_id;
  BackupKind kind = BackupKind::kFull;
  std::string kind_reason;  // why --type auto chose it, or "requested"
  std::string ca_name;      // from the API's answer: the database's name in the restore map
  std::string series;       // the series the snapshot belongs to (its source)
  std::string series_note;  // set when the series is another name's of this computer, or a new one
  uint32_t files = 0;
  uint64_t logical_bytes = 0;
  uint64_t new_bytes_stored = 0;
  std::optional<GenerationRange> log_range;
  std::vector<std::string> missing_dynamic_files;  // "path: reason"
  std::vector<std::string> recovery_set;           // Config/... files stored (fulls with with_config)
  std::vector<std::string> recovery_set_notes;     // what of the recovery set is missing, and why
  std::optional<KeyNotStored> key_not_stored;      // with key_passphrase: the key was not exported
  bool logs_truncated = false;
  std::string truncation_error;  // set when the truncation after commit failed
  // Set when CertSrvBackupEnd failed after the commit: the snapshot is safe, but the CA did not
  // record the end of the backup. (CertSrvBackupFree returns nothing, so it cannot report one.)
  std::string session_end_error;
  std::vector<std::string> warnings;  // problems after the commit that did not endanger the snapshot
  double seconds = 0;
};

// The series of a backup is the --server name as given; when that name has no snapshot yet, the
// series of another name of the same computer continues (CA01 and ca01.contoso.com, case-insensitive;
// for the simulated CA, two paths of one folder), provided the CA answering carries the series' CA
// name. Otherwise the backup starts its own series (an incremental falls back to a full).
ApiBackupResult back_up_server(Repository& repository, const ApiBackupOptions& options);

// Whether two --server names reach the same computer: equal ignoring case and leading "\\", or
// a NetBIOS name and a DNS name whose first label it is; folder paths (the simulated CA) when they
// name the same folder. Exposed for tests.
bool same_computer(const std::string& a, const std::string& b);

}  // namespace certvault
