// `certvault check`: verifies that every snapshot in the catalog can be restored.
//
// Contract:
// - Needs only the shared lock; changes nothing (but permissions, when asked:
//   fix_permissions).
// - Always: SQLite's integrity_check; references inside the catalog (chunk ->
//   pack, file -> recipe, delta -> base); every catalog pack present with its
//   recorded size and a trailer index that agrees with the chunk index (id,
//   offset, sizes, flags); every recipe's object present, intact (framing
//   checksum, encoding, keyed id) and equal to the catalog's row, and every
//   chunk it names indexed in an intact pack; every snapshot's manifest
//   present, intact and equal to the catalog's rows (header, files, missing
//   files), since they are what `repair catalog` rebuilds from.
// - read_data (or a random read_data_subset_percent of the packs and files):
//   every chunk of a chosen pack read, decompressed and verified (entry
//   checksums and keyed id), and every chosen file rebuilt and its
//   whole-file digest recomputed.
// - problems: damage, one precise sentence each (snapshot, file, file offset,
//   pack, chunk id, whatever applies); a chunk that breaks files is reported
//   for each file it breaks (up to a limit). warnings: leftovers that harm
//   nothing and that `prune` removes (packs, recipes and manifests the catalog
//   does not reference — what a crashed backup, forget or prune leaves), and
//   files or folders accessible to their group or others (POSIX modes), and verify/check outcome
//   records (outcome_log.h) that cannot be read (they restore nothing; status skips them).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace certvault {

class Repository;

struct CheckOptions {
  bool read_data = false;
  double read_data_subset_percent = 0;               // 0: none (unless read_data); 100: all
  std::function<void(const std::string&)> progress;  // optional: one line per phase
  // Makes every file 0600 and every folder 0700 instead of warning about
  // group- or world-accessible ones (POSIX; a no-op on Windows). The only
  // change check ever makes.
  bool fix_permissions = false;
};

struct CheckReport {
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
  std::vector<std::string> orphan_packs;  // object names
  uint64_t snapshots = 0, files = 0, recipes = 0, packs = 0, chunks = 0, dictionaries = 0;
  uint64_t packs_read = 0, chunks_read = 0, bytes_read = 0, files_verified = 0;
  uint64_t permissions_fixed = 0;  // with fix_permissions: files and folders made private
  bool ok() const { return problems.empty(); }
};

CheckReport check_repository(Repository& repository, const CheckOptions& options);

}  // namespace certvault
