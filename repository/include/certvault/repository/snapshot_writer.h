// Writing one snapshot into a repository.
//
// Contract:
// - Files are streamed: begin_file(), any number of write() calls of any size,
//   end_file(). Bytes are chunked, hashed, deduplicated against the repository
//   and stored compressed; nothing is buffered beyond bounded queues.
// - commit() is the commit protocol: (1) every pack is written under a
//   temporary name, fsynced, renamed and its folder fsynced; (2) the new recipe
//   objects and (3) the snapshot manifest are written the same way; (4) one
//   catalog transaction (synchronous=FULL) makes the snapshot visible. Only
//   after (4) does it return the CommittedSnapshot proof.
// - A writer destroyed without commit() (error, exception, abort) leaves no
//   visible snapshot; packs it already committed are leftovers that `prune`
//   removes and `check` reports.
// - Calls out of that order (write() outside begin_file()/end_file(), a second
//   commit()) and a snapshot begun without the exclusive lock throw
//   Error(kInternal): they are the caller's bug, not the user's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/base/committed_snapshot.h"
#include "certvault/catalog/catalog.h"
#include "certvault/chunker/file_chunker.h"

namespace certvault {

class Repository;

struct SnapshotHeader {
  std::string kind;         // "folder", "full" or "incremental"
  std::string source;       // the series: folder as given, --source NAME, or server name
  std::string source_path;  // a folder snapshot's folder, symbolic links resolved (display only)
  std::string server;       // empty for folder snapshots
  std::string ca_name;
  std::vector<std::string> tags;
  std::optional<std::string> parent;     // previous snapshot of this chain
  std::optional<std::string> base_full;  // an incremental's full
  // Snapshot whose files (matched by path) serve as delta bases and as the
  // first place to look for known chunks. Usually the previous snapshot with
  // the same files; empty = none.
  std::optional<std::string> dedup_reference;
  // Set only by `certvault copy` (certvault/operations/snapshot_copy.h): the snapshot keeps the id
  // and creation time it has in the repository it is copied from, so that the copy is the same
  // snapshot (chain links stay valid, a second copy finds it). begin_snapshot() throws
  // Error(kRefused) when the catalog already has that id, Error(kInternal) for an id that is not 32
  // lowercase hex digits. Empty: a new random id, created now.
  struct KeptIdentity {
    std::string id;
    int64_t created_us = 0;
  };
  std::optional<KeptIdentity> keep_identity;
};

struct FileHeader {
  std::string path;  // inside the snapshot: relative, '/'-separated
  std::string role;  // "database", "log", "checkpoint", "dynamic", "config", "file"
  uint16_t type_code = 0;
  std::string api_path;
  std::optional<uint32_t> log_generation;
  // How the file is cut: content-defined, or page-aligned for an ESE database (whose pages
  // change in place, so each changed page is exactly one new chunk; see docs/design.md). The
  // caller decides (certvault/operations/file_chunking.h); begin_file() refuses a page size
  // outside 512..the repository's largest chunk, and a fixed block size outside 64 KiB..16 MiB.
  chunker::Chunking chunking;
  // The size the source announced before it was read (CertSrvBackupOpenFileW's, or the file's),
  // 0 when unknown. Only a hint: it sizes a page-aligned file's recipe once instead of by doubling.
  uint64_t size_hint = 0;
};

struct FileResult {
  uint64_t size = 0;
  catalog::Digest digest{};
  uint64_t new_raw_bytes = 0;  // bytes of this file's chunks that were new (before compression)
  uint64_t chunks = 0;
  uint64_t new_chunks = 0;
};

class SnapshotWriter {
 public:
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  const std::string& snapshot_id() const;

  void begin_file(const FileHeader& header);
  void write(std::span<const uint8_t> bytes);
  FileResult end_file();

  void set_restore_map(std::vector<uint8_t> raw_utf16le, std::vector<catalog::RestoreMapEntry> entries);
  void set_log_range(uint32_t gen_low, uint32_t gen_high);
  void note_missing_file(std::string path, std::string reason);

  uint64_t bytes_written() const;     // logical bytes so far
  uint64_t new_bytes_stored() const;  // compressed bytes added to packs so far; safe from any thread

  CommittedSnapshot commit();

 private:
  friend class Repository;
  struct State;
  explicit SnapshotWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace certvault
