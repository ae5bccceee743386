// The simulated database engine: a CA folder opened for writing.
//
// Contract: an Engine holds the folder's engine lock exclusively for its whole
// life (other writers wait; backup reads take it shared), so every transaction
// is atomic for other processes. Transactions are write-ahead: redo records reach
// edb.log before the pages reach the database, and a record never straddles
// two logs. Nothing is saved until commit()/save() is called.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/file_layer.h"
#include "core/formats.h"
#include "core/layout.h"
#include "core/state.h"

namespace casim {

// How many generations the checkpoint trails the current log (pages are written
// at once, so any lag is safe; a lag makes TruncateLogs keep recent logs).
inline constexpr uint32_t kCheckpointLag = 2;

struct InitOptions {
  std::filesystem::path root;
  std::string ca_name;  // UTF-8
  uint64_t database_bytes = 0;
  uint64_t seed = 0;
};

// Creates a CA folder (refuses an existing one) and returns the number of data pages written.
uint32_t init_ca(const InitOptions& options);

class Engine {
 public:
  explicit Engine(const std::filesystem::path& root);

  SimState& state() { return state_; }
  const CaLayout& layout() const { return layout_; }

  // Writes one transaction: each page in `updates` gets its next update counter, and
  // `appended` new pages are added at the end. Returns the pages written.
  std::vector<uint32_t> commit_transaction(std::span<const uint32_t> updates, uint32_t appended);
  // Closes edb.log as a finished generation and starts the next one; returns the closed generation.
  uint32_t close_current_log();
  // Rewrites the database header (and its shadow) after `change` edits it.
  template <typename Change>
  void update_db_header(Change change) {
    DbHeader header = read_db_header();
    change(header);
    write_db_header(header);
  }
  DbHeader read_db_header() const;
  void write_db_header(const DbHeader& header);
  // Rewrites a header an older sim wrote (XXH32, sim area at 1024) in today's format (ESE's
  // checksum), as ESE upgrades a header it attaches; any other header, damaged or not, is left
  // as it is. True if it rewrote the header.
  bool upgrade_legacy_db_header();
  void write_checkpoint(uint32_t generation);
  void save() { save_state(layout_, state_); }

 private:
  files::FileLock lock_;
  SimState state_;
  CaLayout layout_;
};

void create_log_file(const std::filesystem::path& path, const LogHeader& header);

struct TransactionSummary {
  uint64_t transactions = 0;
  uint64_t pages_written = 0;
  uint32_t first_generation = 0;
  uint32_t last_generation = 0;
};
TransactionSummary issue_certificates(const std::filesystem::path& root, uint64_t count);
TransactionSummary revoke_certificates(const std::filesystem::path& root, uint64_t count);
// Rewrites <CA>.crl and <CA>+.crl; returns the new CRL number.
uint64_t publish_crls(const std::filesystem::path& root);
void write_ca_certificate(const CaLayout& layout, uint64_t seed);
// Clean shutdown: checkpoint at the current log, database header clean. False if already stopped.
bool stop_ca(const std::filesystem::path& root);

// Page numbers written since the last reset (sorted, unique).
std::vector<uint32_t> changed_pages(const std::filesystem::path& root, bool reset);

}  // namespace casim
