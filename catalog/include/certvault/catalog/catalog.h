// certvault's catalog: the SQLite database that indexes a repository.
//
// Contract:
// - The catalog is the only code that writes SQL. It opens `catalog.db` with a
//   rollback journal (journal_mode=TRUNCATE), synchronous=FULL and foreign keys
//   on, through a SQLite VFS over the file-system seam (sqlite_vfs.h); commits
//   are durable when commit() returns. A WAL catalog of an earlier build is
//   converted when opened.
// - The schema is versioned (PRAGMA user_version plus a `migrations` table);
//   open() migrates an older catalog forward inside one transaction and refuses
//   a newer one with a clear message.
// - Every failure throws CatalogError (a certvault::Error) naming the
//   operation, the statement and SQLite's message. Its kind() says why:
//   kLocked when the database stayed busy past the 5 s busy timeout (another
//   process holds a write transaction), kIntegrity for a damaged database file
//   or row, kRefused for a schema newer than this build, kInternal for a call
//   out of order (finish_rebuild() without begin_rebuild(), a pack index
//   outside the commit), kFailure for anything else (I/O, a full disk, a
//   failed constraint).
// - The catalog is a rebuildable view: everything in it can be reconstructed
//   from the repository's objects (see docs/format.md), so it never holds the
//   only copy of anything but truncation records.
// - Not thread-safe: one Catalog per thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "certvault/base/error.h"

struct sqlite3;

namespace certvault::catalog {

class Statement;

class CatalogError : public Error {
 public:
  CatalogError(ErrorKind kind, const std::string& message) : Error(kind, message) {}
};

using ChunkId = std::array<uint8_t, 16>;
using Digest = std::array<uint8_t, 16>;

struct ChunkLocation {
  ChunkId id{};
  int64_t pack_id = 0;       // packs.id
  uint64_t offset = 0;       // of the entry header inside the pack
  uint32_t stored_size = 0;  // bytes after the entry header
  uint32_t raw_size = 0;
  uint16_t flags = 0;
  // The zstd dictionary the stored bytes were compressed with (0: none; docs/format.md §5.2).
  // Schema 4 stores a catalog-local number for it (table dictionary_numbers), a byte or none.
  uint32_t dictionary = 0;
};

// A zstd dictionary object (docs/format.md §4.4), indexed by its id.
struct DictionaryRecord {
  uint32_t id = 0;         // the zstd dictionary id, also in the object name
  std::string role;        // what it was trained on: "database" (pages), "log", ...
  std::string name;        // object name "dicts/<8 hex>.dict"
  uint64_t size = 0;       // bytes of the dictionary itself
  uint32_t ratio_ppm = 0;  // stored/raw of its training sample compressed with it, in millionths
  int64_t created_unix = 0;
};

struct PackRecord {
  int64_t id = 0;    // assigned by the catalog on insert
  std::string name;  // object name, e.g. "packs/ab/ab12....pack"
  uint64_t size = 0;
  uint32_t entry_count = 0;
  int64_t created_unix = 0;
};

struct RecipeRecord {
  Digest id{};
  std::optional<Digest> base;  // set for a delta recipe
  uint32_t depth = 0;          // 0 for a full recipe, base depth + 1 for a delta
  uint64_t chunk_count = 0;    // chunks of the file it describes
  uint64_t logical_size = 0;
  std::vector<uint8_t> body;  // the encoded recipe (docs/format.md)
};

struct FileRecord {
  uint32_t seq = 0;        // order inside the snapshot
  std::string path;        // path inside the snapshot ('/'-separated, relative)
  std::string role;        // "database", "log", "checkpoint", "dynamic", "config", "file"
  uint16_t type_code = 0;  // CSBFT code from the API, 0 if none
  std::string api_path;    // path exactly as the API gave it (UTF-8), empty if none
  uint64_t size = 0;
  Digest digest{};  // whole-file keyed XXH3-128
  Digest recipe{};
  std::optional<uint32_t> log_generation;
};

struct RestoreMapEntry {
  uint16_t type_code = 0;
  std::string path;
};

struct SnapshotRecord {
  std::string id;            // 32 hex digits
  int64_t created_unix = 0;  // seconds, UTC (created_us / 1000000, rounded down)
  // Microseconds since 1970, UTC; a manifest written before issue 14 gives created_unix * 1000000.
  int64_t created_us = 0;
  // The repository's commit sequence (1, 2, ...; one more than the highest in the catalog when it
  // was committed); 0 for a manifest written before issue 14. Snapshots are ordered by
  // (created_us, commit_seq, order_rank).
  uint64_t commit_seq = 0;
  // Catalog only, for snapshots without a commit sequence: how many parent links lead from it to
  // snapshots of the same time (so a same-second incremental follows its parent). 0 otherwise.
  int64_t order_rank = 0;
  std::string kind;         // "folder", "full", "incremental"
  std::string source;       // the series: a folder as the user gave it (or --source NAME), or the server name
  std::string source_path;  // a folder snapshot's folder with symbolic links resolved (display only); "" otherwise
  std::string server;       // empty for folder snapshots
  std::string ca_name;
  std::vector<std::string> tags;
  std::optional<std::string> parent;     // previous snapshot of the same source
  std::optional<std::string> base_full;  // for an incremental: its full
  std::optional<uint32_t> gen_low, gen_high;
  uint64_t logical_size = 0;             // sum of file sizes
  uint64_t added_size = 0;               // bytes this snapshot added to packs
  std::vector<uint8_t> restore_map_raw;  // UTF-16LE multi-string exactly as returned
  std::vector<RestoreMapEntry> restore_map;
  std::string manifest;  // object name of the manifest
};

// The order of snapshots (docs/format.md §4.2): time in microseconds, then the commit sequence,
// then (for manifests without one) the parent links; a record that only has seconds counts them.
inline std::tuple<int64_t, uint64_t, int64_t> order_key(const SnapshotRecord& s) {
  return {s.created_us != 0 ? s.created_us : s.created_unix * 1000000, s.commit_seq, s.order_rank};
}

struct MissingFile {
  std::string path;
  std::string reason;
};

struct TruncationRecord {
  std::string snapshot_id;
  int64_t time_unix = 0;
  int32_t hresult = 0;
  std::string message;
  // "truncated", "failed", or "unknown" (the intent was recorded, the outcome never was: the logs
  // may have been truncated); "" for records of builds before issue 14.
  std::string outcome;
};

struct SnapshotFilter {
  std::optional<std::string> source;
  std::optional<std::string> server;
  std::optional<std::string> kind;
  std::optional<std::string> tag;
  std::optional<int64_t> since_unix;
};

// Everything one snapshot adds, written in one transaction by commit_snapshot().
struct SnapshotCommit {
  SnapshotRecord snapshot;
  std::vector<FileRecord> files;
  std::vector<MissingFile> missing_files;
  std::vector<PackRecord> new_packs;  // ids are assigned on insert
  // New chunks; pack_id of each entry is an index into new_packs (0-based),
  // translated to the assigned packs.id inside the transaction.
  std::vector<ChunkLocation> new_chunks;
  std::vector<RecipeRecord> new_recipes;
  std::vector<DictionaryRecord> new_dictionaries;  // INSERT OR IGNORE: an id present keeps its row
};

class Catalog {
 public:
  // Opens (creating if absent) and migrates the catalog at `path`.
  static std::unique_ptr<Catalog> open(const std::filesystem::path& path);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  int schema_version() const;

  // For a caller that knows no other process will write the catalog while it
  // is open (the repository lock: an exclusive holder is alone, readers only
  // read): SQLite then keeps its file locks from one transaction to the next
  // (locking_mode=EXCLUSIVE), which spares every statement the lock calls, the
  // hot-journal check and the re-read of the database header that sharing the
  // file costs. A reader keeps a shared lock, so readers still share; a hot
  // journal was rolled back by open() (which reads), before any lock is kept.
  void keep_file_locks();

  // SQLite's page cache of the connection, which also bounds its sorter's memory before it spills
  // to temporary files. A cache that grows with the
  // catalog would make every command's memory grow with the repository (32 MiB made `check`,
  // prune and export of an 8 GiB CA peak at 69-97 MiB). Export probes the chunk index once per
  // chunk in file order; at 8 MiB the leaves it misses come from the OS's page cache, which cost
  // an 8 GiB export no measurable time (docs/benchmarks.md, "Scale"). A backup touches the index
  // once per new chunk, in id order within a pack (stage_pack).
  static constexpr uint64_t kPageCacheBytes = 8u << 20;

  // Repository settings (id, keys in hex, chunk parameters, ...).
  void set_setting(const std::string& key, const std::string& value);
  std::optional<std::string> setting(const std::string& key) const;
  // Deletes a setting (absent: nothing to do). The open compares only the settings the catalog has,
  // so `migrate --encrypt` removes those that change before it switches the config.
  void remove_setting(const std::string& key);

  // Chunk index.
  std::optional<ChunkLocation> find_chunk(const ChunkId& id) const;
  bool has_chunk(const ChunkId& id) const;
  std::optional<PackRecord> pack(int64_t pack_id) const;
  std::vector<PackRecord> packs() const;
  void for_each_chunk(const std::function<void(const ChunkLocation&)>& visit) const;  // streams

  // Dictionaries (schema 3): every row, by creation then id; the newest of a role.
  std::vector<DictionaryRecord> dictionaries() const;
  std::optional<DictionaryRecord> latest_dictionary(const std::string& role) const;
  // Ids of the dictionaries that some chunk row names.
  std::vector<uint32_t> dictionaries_in_use() const;
  void delete_dictionary(uint32_t id);
  // For repair catalog (inside a rebuild) or a lone insert; INSERT OR IGNORE.
  void add_dictionary(const DictionaryRecord& dictionary);

  // Recipes.
  std::optional<RecipeRecord> recipe(const Digest& id) const;
  bool has_recipe(const Digest& id) const;
  uint64_t recipe_count() const;

  // Snapshots. commit_snapshot() is atomic: all of it or nothing.
  void commit_snapshot(const SnapshotCommit& commit);

  // Staged chunk rows, so that a snapshot writer's memory does not grow with the chunks it adds:
  // stage_pack() inserts a committed pack's row and its chunks' rows inside the write transaction
  // that the next commit_snapshot() ends (opened by the first stage_pack()). Staged rows are
  // visible to this catalog's own lookups (has_chunk, find_chunk) at once and to nobody else;
  // commit_snapshot() commits them with the snapshot (its `new_packs` and `new_chunks` then hold
  // only what was not staged), and abandon_staging(), a failed commit or closing the catalog rolls
  // them back. No other write may run while rows are staged (kInternal).
  void stage_pack(const PackRecord& pack, const std::vector<ChunkLocation>& chunks);
  void abandon_staging();
  bool staging() const { return staging_; }
  std::vector<SnapshotRecord> snapshots(const SnapshotFilter& filter = {}) const;  // oldest first
  std::optional<SnapshotRecord> snapshot(const std::string& id) const;
  std::vector<std::string> snapshot_ids_with_prefix(const std::string& prefix) const;
  std::vector<FileRecord> files(const std::string& snapshot_id) const;  // by seq
  std::vector<MissingFile> missing_files(const std::string& snapshot_id) const;
  // The newest snapshot of a source/server (any kind), if any.
  std::optional<SnapshotRecord> latest_snapshot(const SnapshotFilter& filter) const;
  // The commit sequence a new snapshot gets: one more than the highest in the catalog.
  uint64_t next_commit_seq() const;

  // Log truncation records (issue 5), rebuilt from the repository's truncation objects (issue 14).
  // A record replaces the snapshot's "unknown" record (its intent) if there is one.
  void record_truncation(const TruncationRecord& record);
  std::vector<TruncationRecord> truncations(const std::string& snapshot_id) const;
  std::vector<TruncationRecord> all_truncations() const;  // oldest first

  // For `repair catalog`: wipes every table but settings' schema and refills it.
  void begin_rebuild();
  // For a catalog that caches a remote repository's objects (repository/catalog_sync.h): like
  // begin_rebuild() but keeps every row, so the add_* calls append what other machines committed
  // since the last open; finish_rebuild() commits it all at once.
  void begin_catch_up();
  void abandon_catch_up();                                                        // rolls back what the catch-up added
  void add_pack_with_chunks(PackRecord pack, std::vector<ChunkLocation> chunks);  // pack_id ignored in chunks
  void add_recipe(const RecipeRecord& recipe);
  void add_snapshot(const SnapshotRecord& snapshot, const std::vector<FileRecord>& files,
                    const std::vector<MissingFile>& missing);
  void finish_rebuild();  // commits

  // Maintenance (forget, prune, check); see catalog_maintenance.cc.
  // Deletes the snapshots' rows (files, tags, restore map, missing files) in one
  // transaction; ids without a row are skipped. Truncation records stay: they
  // are history and exist nowhere else.
  void delete_snapshots(const std::vector<std::string>& ids);
  bool has_snapshot(const std::string& id) const;
  bool has_pack_named(const std::string& name) const;
  // The live set, in temporary tables of this connection: recipes reachable
  // from files (delta bases included) and the chunk ids of the recipes files
  // name. `chunk_ids_of(recipe, add)` is called once per recipe a file names and
  // hands `add` its effective list (a delta resolved through its bases), in as
  // many blocks as it likes, so that no list need be held whole: a base no file
  // names keeps its row but none of its chunks.
  struct LiveSetSize {
    uint64_t recipes = 0, dead_recipes = 0, chunks = 0;
    // Live chunks with no row in the chunk index (their pack unknown to the catalog: skipped by a
    // rebuild, or damaged); `first_unindexed` is one of them, for messages.
    uint64_t unindexed_chunks = 0;
    std::optional<ChunkId> first_unindexed;
  };
  using ChunkIdSink = std::function<void(std::span<const ChunkId>)>;
  // `without` lists snapshots to treat as already forgotten (a dry run of forget --prune).
  LiveSetSize compute_live_set(const std::function<void(const Digest& recipe, const ChunkIdSink& add)>& chunk_ids_of,
                               const std::vector<std::string>& without = {});
  uint64_t delete_dead_recipes();  // rows not in the live set; returns how many
  struct PackUsage {
    PackRecord pack;
    uint64_t chunks = 0, live_chunks = 0;
    uint64_t live_stored_bytes = 0;  // stored bytes of live chunks (entry headers not included)
  };
  // After compute_live_set(); by pack id.
  std::vector<PackUsage> pack_usage() const;
  // One transaction: deletes the packs' rows and every chunk row in them, found by one scan of
  // the chunk index however many packs there are.
  void delete_packs(const std::vector<int64_t>& pack_ids);
  // One transaction, without scanning the chunk index: inserts `new_packs`, points `moved_chunks`
  // (pack_id = index into new_packs) at them, deletes the rows of `dropped_chunks` by id, then the
  // rows of `old_pack_ids`. Together, moved and dropped chunks must be every row of the old packs
  // (as PackChunks gave them); a row left out would name a pack that is gone, which check reports.
  void replace_packs(const std::vector<int64_t>& old_pack_ids, const std::vector<PackRecord>& new_packs,
                     const std::vector<ChunkLocation>& moved_chunks, const std::vector<ChunkId>& dropped_chunks);
  void drop_live_set();
  // For check: problems SQL finds by itself, each a complete sentence.
  std::vector<std::string> dangling_references() const;
  // Streams every recipe row (body included).
  void for_each_recipe(const std::function<void(const RecipeRecord&)>& visit) const;
  // Files whose recipe is `recipe` or a delta built on it: (snapshot id, file).
  std::vector<std::pair<std::string, FileRecord>> files_using_recipe(const Digest& recipe, size_t limit) const;

  // Queries for snapshots/show/diff/stats (catalog_queries.cc).
  struct ChunkTotals {
    uint64_t chunks = 0, raw_bytes = 0, stored_bytes = 0;  // stored: compressed, entry headers not included
  };
  struct PackTotals {
    uint64_t packs = 0, bytes = 0;
  };
  // A recipe that files refer to, how many snapshots refer to it, and which one when only one does.
  struct RecipeUse {
    Digest recipe{};
    uint64_t snapshots = 0;
    std::string only_snapshot;  // empty unless snapshots == 1
  };
  ChunkTotals chunk_totals() const;  // every indexed chunk
  PackTotals pack_totals() const;
  std::vector<RecipeUse> recipe_uses() const;  // one row per distinct recipe that some file names
  // A chunk ownership tally in a TEMP table of this connection, for bytes unique to
  // each snapshot without holding every chunk id in memory. Owners are the caller's
  // numbers (>= 0); a chunk tallied under two owners becomes shared. `in_focus`
  // marks chunks of the snapshots the caller is reporting on.
  void begin_chunk_tally();
  void tally_chunks(const std::vector<ChunkId>& ids, int64_t owner, bool in_focus);
  struct OwnerTotals {
    int64_t owner = 0;
    ChunkTotals totals;
  };
  std::vector<OwnerTotals> chunk_tally_unique_totals();  // per owner, its chunks no other owner has
  ChunkTotals chunk_tally_focus_totals();                // distinct chunks marked in_focus
  void end_chunk_tally();                                // drops the table

  // Size of the database files (catalog.db, its journal, a WAL of an earlier build), for measurements.
  uint64_t size_on_disk() const;
  // SQLite's integrity_check: "ok" or the problems it lists.
  std::vector<std::string> integrity_check() const;

 private:
  explicit Catalog(sqlite3* db, std::filesystem::path path);
  int64_t insert_pack_row(const PackRecord& pack);
  void insert_chunk_row(const ChunkLocation& chunk, int64_t pack_id);
  int64_t dictionary_number(uint32_t dictionary);  // chunks.dictionary_number of a zstd dictionary id
  void insert_recipe_row(const RecipeRecord& recipe);
  void insert_snapshot_rows(const SnapshotRecord& snapshot, const std::vector<FileRecord>& files,
                            const std::vector<MissingFile>& missing);
  SnapshotRecord read_snapshot_row(Statement& statement) const;
  std::vector<SnapshotRecord> query_snapshots(const SnapshotFilter& filter, const char* order,
                                              bool with_restore_map) const;
  std::vector<RestoreMapEntry> restore_map(const std::string& snapshot_id) const;
  // Tags and restore maps of listed snapshots, in a few queries rather than a few per snapshot.
  void attach_tags_and_restore_maps(std::vector<SnapshotRecord>& snapshots, bool with_restore_map) const;

  struct Statements;
  bool rebuilding_ = false;
  bool staging_ = false;
  sqlite3* db_;
  std::filesystem::path path_;
  std::unique_ptr<Statements> statements_;
  friend class PackChunks;
};

// The chunk rows of many packs from one scan of the chunk index, sorted by (pack id, offset) and
// handed out a pack at a time. Schema 4 has no index by pack (it cost 26 bytes a chunk), so a query
// per pack would scan every chunk row per pack; this scans once, however many packs are asked for.
// SQLite sorts in its temp store (disk beyond a few MiB), so memory stays flat; the constructor
// completes the sort, so the caller may change the catalog between calls (prune does).
class PackChunks {
 public:
  struct Row {
    ChunkLocation location;
    bool live = false;  // in the live set (only with `with_liveness`)
  };
  // `pack_ids`: the packs wanted, any order; empty: every pack. `with_liveness` needs the live set
  // of Catalog::compute_live_set().
  PackChunks(const Catalog& catalog, const std::vector<int64_t>& pack_ids, bool with_liveness);
  ~PackChunks();
  PackChunks(const PackChunks&) = delete;
  PackChunks& operator=(const PackChunks&) = delete;
  // The rows of `pack_id` by offset. Ask in ascending pack id: the rows of packs passed over are
  // skipped, and a pack asked for twice, or out of order, has no rows the second time.
  std::vector<Row> next(int64_t pack_id);

 private:
  sqlite3* db_;
  bool with_liveness_;
  bool chosen_ = false;  // a temp table holds the chosen pack ids
  std::unique_ptr<Statement> statement_;
  bool has_row_ = false;  // statement_ is on a row not handed out yet
};

}  // namespace certvault::catalog
