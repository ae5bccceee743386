// `certvault status`: the operator's answer to "are my CA backups good?", per series and as one
// verdict that monitoring can act on.
//
// Contract:
// - compute_status() reads the catalog (snapshots, truncation records, pack totals) and the
//   outcome objects of verify and check runs (outcome_log.h); it writes nothing and reads no
//   clock: `now` is given. A shared lock is enough.
// - Per series (a snapshot's `source`, docs/format.md §4.2), oldest series first: the newest
//   snapshot and its age, the last full and the last incremental, whether the chain from the last
//   full to the newest CA snapshot restores (every link present and the log generations
//   contiguous; why not, otherwise), the last verification (verify or check --read-data) that
//   covered one of its snapshots, truncation failures (`failed` or `unknown`) that no later
//   backup of the series without one has followed, and the bytes each of its last 30 snapshots
//   added.
// - Verdict of a series, the worst of: CRITICAL when its newest snapshot is older than
//   crit_age, its chain is broken, or its last verification failed; WARNING when its newest
//   snapshot is older than warn_age or a truncation failure is open; else OK. Each reason is one
//   sentence naming the snapshot. The repository's verdict is the worst series' verdict;
//   CRITICAL when there is no series at all (or none named `source`).
// - Per CA series, `ca_key`: when the full its chain restores from records the CA's private key as
//   not stored (backup --with-key on a key that cannot be exported, e.g. an HSM's), that sentence,
//   which says the key must be backed up with the HSM vendor's procedure. It does not change the
//   verdict: it is a fact of the CA, not a fault of the backup, and it stays for as long as it holds.
// - Damaged outcome objects are skipped and named in `problems` (they do not change the verdict).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/operations/retention.h"
#include "certvault/repository/outcome_log.h"

namespace certvault {

class Repository;

enum class Verdict { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };
const char* verdict_name(Verdict verdict);  // "OK", "WARNING", "CRITICAL", "UNKNOWN"

struct StatusOptions {
  std::optional<std::string> source;  // only this series
  retention::CalendarDuration warn_age{0, 0, 0, 26};
  retention::CalendarDuration crit_age{0, 0, 0, 50};
  std::string warn_age_text = "26h", crit_age_text = "50h";  // as given, for the reasons
  int64_t now_unix = 0;
  size_t recent = 30;  // snapshots per series in `recent`
};

struct SnapshotPoint {
  std::string id;
  std::string source;
  std::string kind;  // "full", "incremental", "folder"
  int64_t created_unix = 0;
  int64_t age_seconds = 0;  // now - created (negative for a snapshot from the future)
  uint64_t added_bytes = 0;
  uint64_t logical_bytes = 0;
  uint64_t stored_after = 0;  // growth only: pack bytes the kept snapshots added up to this one
};

struct ChainStatus {
  bool applicable = false;  // false for a series of folder snapshots
  bool intact = false;
  std::string full_id;      // the full the newest CA snapshot restores from ("" if none)
  size_t incrementals = 0;  // links after that full up to the newest CA snapshot
  std::optional<uint32_t> gen_low, gen_high;
  std::string detail;  // intact: what it holds; broken: why
};

struct SeriesStatus {
  std::string source;
  std::string server, ca_name;  // empty for folder series
  bool ca = false;              // holds full/incremental snapshots
  size_t snapshots = 0;
  SnapshotPoint latest;
  std::optional<SnapshotPoint> last_full;  // for a folder series: its newest snapshot
  std::optional<SnapshotPoint> last_incremental;
  ChainStatus chain;
  std::optional<OutcomeRecord> last_verification;
  std::vector<catalog::TruncationRecord> open_truncation_failures;
  std::string ca_key;                 // set: the last full records the CA's key as not stored, and why
  std::vector<SnapshotPoint> recent;  // the last `recent` snapshots, oldest first
  uint64_t added_bytes_total = 0;     // pack bytes its kept snapshots added
  Verdict verdict = Verdict::kOk;
  std::vector<std::string> reasons;  // why not OK, one sentence each
};

struct RepositoryStatus {
  int64_t now_unix = 0;
  std::string warn_age, crit_age;  // as given
  uint64_t pack_bytes = 0, packs = 0, catalog_bytes = 0, snapshots = 0;
  std::vector<SeriesStatus> series;
  std::vector<SnapshotPoint> growth;  // every snapshot (all series), oldest first, with stored_after
  std::vector<std::string> problems;  // outcome objects that could not be read
  Verdict verdict = Verdict::kOk;
  std::string summary;  // one line: the verdict's reasons, or what is fine
};

RepositoryStatus compute_status(Repository& repository, const StatusOptions& options);

// "3d 4h", "26h 10m", "5m", "12s"; negative ages as "in the future".
std::string format_age(int64_t seconds);

// One self-contained HTML page (inline CSS and SVG, no script, no external resource) with a table
// per series and a chart of repository growth and bytes added per snapshot; readable printed on A4.
std::string render_status_html(const RepositoryStatus& status, const std::string& repository_name);

}  // namespace certvault
