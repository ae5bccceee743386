#include "catalog_schema.h"

#include <chrono>
#include <string>
#include <vector>

#include "statement.h"

namespace certvault::catalog {
namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Append-only: a released migration is never edited, only followed by another.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "initial schema", R"sql(
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE packs(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
  entry_count INTEGER NOT NULL, created_unix INTEGER NOT NULL);
CREATE TABLE chunks(
  id BLOB PRIMARY KEY, pack_id INTEGER NOT NULL REFERENCES packs(id), offset INTEGER NOT NULL,
  stored_size INTEGER NOT NULL, raw_size INTEGER NOT NULL, flags INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX chunks_by_pack ON chunks(pack_id);
CREATE TABLE recipes(
  id BLOB PRIMARY KEY, base BLOB REFERENCES recipes(id) DEFERRABLE INITIALLY DEFERRED, depth INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL, logical_size INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX recipes_by_base ON recipes(base);
CREATE TABLE snapshots(
  id TEXT PRIMARY KEY, created_unix INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
  server TEXT NOT NULL, ca_name TEXT NOT NULL, parent TEXT, base_full TEXT, gen_low INTEGER,
  gen_high INTEGER, logical_size INTEGER NOT NULL, added_size INTEGER NOT NULL,
  restore_map_raw BLOB NOT NULL, manifest TEXT NOT NULL);
CREATE INDEX snapshots_by_created ON snapshots(created_unix);
CREATE INDEX snapshots_by_server ON snapshots(server, created_unix);
CREATE INDEX snapshots_by_source ON snapshots(source, created_unix);
CREATE TABLE snapshot_tags(
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, tag TEXT NOT NULL,
  PRIMARY KEY(snapshot_id, tag)) WITHOUT ROWID;
CREATE INDEX snapshot_tags_by_tag ON snapshot_tags(tag);
CREATE TABLE restore_map(
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  type_code INTEGER NOT NULL, path TEXT NOT NULL, PRIMARY KEY(snapshot_id, seq)) WITHOUT ROWID;
CREATE TABLE files(
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  path TEXT NOT NULL, role TEXT NOT NULL, type_code INTEGER NOT NULL, api_path TEXT NOT NULL,
  size INTEGER NOT NULL, digest BLOB NOT NULL, recipe BLOB NOT NULL REFERENCES recipes(id),
  log_generation INTEGER, PRIMARY KEY(snapshot_id, seq)) WITHOUT ROWID;
CREATE INDEX files_by_recipe ON files(recipe);
CREATE TABLE missing_files(
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, path TEXT NOT NULL,
  reason TEXT NOT NULL);
CREATE INDEX missing_files_by_snapshot ON missing_files(snapshot_id);
CREATE TABLE truncations(
  id INTEGER PRIMARY KEY, snapshot_id TEXT NOT NULL, time_unix INTEGER NOT NULL,
  hresult INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX truncations_by_snapshot ON truncations(snapshot_id);
)sql"},
      // Issue 14: snapshot order by (time in microseconds, commit sequence); the folder a series'
      // source resolved to; a truncation's outcome (an intent alone is "unknown").
      {2, "snapshot order and series", R"sql(
ALTER TABLE snapshots ADD COLUMN created_us INTEGER NOT NULL DEFAULT 0;
UPDATE snapshots SET created_us = created_unix * 1000000;
ALTER TABLE snapshots ADD COLUMN commit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN order_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN source_path TEXT NOT NULL DEFAULT '';
CREATE INDEX snapshots_by_order ON snapshots(created_us, commit_seq, order_rank);
ALTER TABLE truncations ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
)sql"},
      // Issue 16: zstd dictionaries (repository format 2). A chunk's dictionary id lives in bits
      // 16..47 of chunks.flags (0 there: none), so rows of earlier schemas stay valid as they are.
      {3, "dictionaries", R"sql(
CREATE TABLE dictionaries(
  id INTEGER PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
  ratio_ppm INTEGER NOT NULL, created_unix INTEGER NOT NULL);
)sql"},
      // Issue 16: at most 48 bytes per chunk on disk (schema 3: about 74 with dictionaries). The
      // index by pack repeated every 16-byte id (about 26 bytes a chunk) and is gone: per-pack work
      // reads all the packs it needs in one scan ordered by (pack, offset) (Catalog::PackChunks). A
      // chunk names its dictionary by a small catalog-local number instead of the 32-bit zstd id in
      // the high bits of flags (6 bytes a row, now 0 or 1). No foreign key to packs: without the
      // index, SQLite would scan every chunk row for each pack row deleted; `check` finds dangling
      // rows in one scan instead. The copy is inserted in id order, so its pages come out full.
      {4, "compact chunk index", R"sql(
CREATE TABLE dictionary_numbers(number INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
INSERT INTO dictionary_numbers(id) SELECT DISTINCT flags >> 16 FROM chunks WHERE flags >= 65536 ORDER BY 1;
CREATE TABLE chunks_v4(
  id BLOB PRIMARY KEY, pack_id INTEGER NOT NULL, offset INTEGER NOT NULL, stored_size INTEGER NOT NULL,
  raw_size INTEGER NOT NULL, flags INTEGER NOT NULL, dictionary_number INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO chunks_v4(id, pack_id, offset, stored_size, raw_size, flags, dictionary_number)
  SELECT c.id, c.pack_id, c.offset, c.stored_size, c.raw_size, c.flags & 65535, COALESCE(n.number, 0)
  FROM chunks c LEFT JOIN dictionary_numbers n ON c.flags >= 65536 AND n.id = c.flags >> 16 ORDER BY c.id;
DROP TABLE chunks;
ALTER TABLE chunks_v4 RENAME TO chunks;
)sql"},
      // Issue 16: a full recipe of at least 65,536 chunks (recipe::kObjectOnlyFromIds) written from
      // now on keeps its list in its recipe object only, and its row's body is empty
      // (docs/format.md, "Catalog"). No row changes: a body already here may be the only intact
      // copy of a damaged object, and readers accept either form (`repair catalog` gives the
      // compact one). The version keeps an older build, which would take an empty body for
      // damage, off a catalog that may hold one.
      {5, "large full recipes in their objects only", R"sql(
SELECT 1;
)sql"},
  };
  return all;
}

int user_version(sqlite3* db) {
  Statement statement(db, "PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.column_int64(0));
}

}  // namespace

void migrate(sqlite3* db, const std::filesystem::path& path, int target_version) {
  const int current = user_version(db);  // also fails early on a file that is not a database
  if (current > kSchemaVersion) {
    throw CatalogError(ErrorKind::kRefused, "catalog: " + path.string() + " has schema version " +
                                                std::to_string(current) + ", newer than this build understands (" +
                                                std::to_string(kSchemaVersion) + "); use a newer certvault");
  }
  if (current >= target_version) return;
  Transaction transaction(db, "migrate schema");
  execute(db,
          "CREATE TABLE IF NOT EXISTS migrations(version INTEGER PRIMARY KEY, applied_unix INTEGER NOT NULL, "
          "description TEXT NOT NULL)",
          "create migrations table");
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& migration : migrations()) {
    if (migration.version <= current || migration.version > target_version) continue;
    execute(db, migration.sql, "migration " + std::to_string(migration.version));
    Statement record(db, "INSERT INTO migrations(version, applied_unix, description) VALUES (?, ?, ?)");
    record.bind_int64(1, migration.version).bind_int64(2, now).bind_text(3, migration.description);
    record.run();
    execute(db, "PRAGMA user_version = " + std::to_string(migration.version), "set user_version");
  }
  transaction.commit();
  // Migration 4 copies the chunk index beside the old one, whose pages then sit on the free list:
  // the file would keep both tables' size until new rows fill them. VACUUM gives them back once. If
  // it cannot (too little space for its copy), the migrated catalog is complete as it is and later
  // rows reuse the pages; nothing else depends on it, so its failure is not the caller's.
  if (current >= 1 && current < 4 && target_version >= 4) {
    if (sqlite3_exec(db, "VACUUM", nullptr, nullptr, nullptr) != SQLITE_OK) take_vfs_failure();
  }
}

}  // namespace certvault::catalog
