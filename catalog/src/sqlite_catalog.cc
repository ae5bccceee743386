#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <system_error>

#include "catalog_schema.h"
#include "certvault/base/file_system.h"
#include "certvault/catalog/catalog.h"
#include "row_readers.h"
#include "sqlite_vfs.h"
#include "statement.h"

namespace certvault::catalog {

namespace {
// SQLite's page cache of a connection, in bytes (a negative cache_size is in KiB).
void set_cache_size(sqlite3* db, uint64_t bytes) {
  execute(db, "PRAGMA cache_size=-" + std::to_string(std::max<uint64_t>(bytes >> 10, 1)), "set cache size");
}

// "catalog: X: why" becomes "catalog: <operation>: X: why", so that the caller sees what it asked for.
[[noreturn]] void rethrow_within(const std::string& operation, const CatalogError& error) {
  std::string detail = error.what();
  const std::string prefix = "catalog: ";
  if (detail.starts_with(prefix)) detail.erase(0, prefix.size());
  throw CatalogError(error.kind(), prefix + operation + ": " + detail);
}

// Earlier builds kept the catalog in WAL mode, which needs shared memory the
// seam's VFS does not offer. With an exclusive lock SQLite keeps the WAL index
// in its own memory instead, so it can read the WAL, check it into the
// database and switch to a rollback journal; then the lock is given back.
void leave_wal_mode(sqlite3* db, const std::filesystem::path& path) {
  // Bytes 18 and 19 of the database header: 2 in WAL mode (docs: fileformat2.html).
  std::string reason;
  auto file = os::file_system().try_open(path, os::OpenFor::kRead, "read the catalog header", reason);
  std::array<uint8_t, 20> header{};
  if (!file || file->read_at(0, header) < header.size() || (header[18] != 2 && header[19] != 2)) return;
  file.reset();
  execute(db, "PRAGMA locking_mode=EXCLUSIVE", "convert a WAL catalog: lock it");
  execute(db, "PRAGMA journal_mode=TRUNCATE", "convert a WAL catalog to a rollback journal");
  execute(db, "PRAGMA locking_mode=NORMAL", "convert a WAL catalog: unlock it");
}

}  // namespace

struct Catalog::Statements {
  explicit Statements(sqlite3* db)
      : find_chunk(db, std::string("SELECT ") + kLocationColumns + kChunkRows + "WHERE c.id = ?"),
        has_chunk(db, "SELECT 1 FROM chunks WHERE id = ?"),
        find_recipe(db, "SELECT base, depth, chunk_count, logical_size, body FROM recipes WHERE id = ?"),
        has_recipe(db, "SELECT 1 FROM recipes WHERE id = ?"),
        insert_pack(db, "INSERT INTO packs(name, size, entry_count, created_unix) VALUES (?, ?, ?, ?)"),
        insert_chunk(db,
                     "INSERT OR IGNORE INTO chunks(id, pack_id, offset, stored_size, raw_size, flags, "
                     "dictionary_number) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        find_dictionary_number(db, "SELECT number FROM dictionary_numbers WHERE id = ?"),
        insert_dictionary_number(db, "INSERT INTO dictionary_numbers(id) VALUES (?)"),
        insert_recipe(db,
                      "INSERT OR IGNORE INTO recipes(id, base, depth, chunk_count, logical_size, body) "
                      "VALUES (?, ?, ?, ?, ?, ?)"),
        insert_snapshot(db,
                        "INSERT INTO snapshots(id, created_unix, kind, source, server, ca_name, parent, base_full, "
                        "gen_low, gen_high, logical_size, added_size, restore_map_raw, manifest, created_us, "
                        "commit_seq, order_rank, source_path) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        insert_tag(db, "INSERT OR IGNORE INTO snapshot_tags(snapshot_id, tag) VALUES (?, ?)"),
        insert_map_entry(db, "INSERT INTO restore_map(snapshot_id, seq, type_code, path) VALUES (?, ?, ?, ?)"),
        insert_file(db,
                    "INSERT INTO files(snapshot_id, seq, path, role, type_code, api_path, size, digest, recipe, "
                    "log_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        insert_missing(db, "INSERT INTO missing_files(snapshot_id, path, reason) VALUES (?, ?, ?)") {}
  Statement find_chunk, has_chunk, find_recipe, has_recipe, insert_pack, insert_chunk, find_dictionary_number,
      insert_dictionary_number, insert_recipe, insert_snapshot, insert_tag, insert_map_entry, insert_file,
      insert_missing;
};

std::unique_ptr<Catalog> Catalog::open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  // SQLite takes file names in UTF-8 on every system (a wide path on Windows).
  const std::u8string utf8_path = path.u8string();
  const std::string file_name(utf8_path.begin(), utf8_path.end());
  take_vfs_failure();  // a leftover of an earlier connection's failure says nothing about this one
  const int rc = sqlite3_open_v2(file_name.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, seam_vfs_name());
  if (rc != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw_file_system_failure(rc, "catalog: cannot open " + path.string());
    throw CatalogError(error_kind_of(rc), "catalog: cannot open " + path.string() + ": " + message);
  }
  try {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    leave_wal_mode(db, path);
    // A rollback journal: the VFS over the file-system seam has no shared
    // memory for WAL. TRUNCATE commits by truncating the journal and syncing
    // it, so a commit is durable when it returns; DELETE with FULL would unlink
    // the journal without syncing the folder, and a power cut could bring the
    // journal back and roll the commit back (docs/design.md).
    execute(db, "PRAGMA journal_mode=TRUNCATE", "use a rollback journal");
    execute(db, "PRAGMA synchronous=FULL", "set synchronous=FULL");
    execute(db, "PRAGMA foreign_keys=ON", "enable foreign keys");
    set_cache_size(db, Catalog::kPageCacheBytes);
    migrate(db, path);
  } catch (const CatalogError& error) {
    sqlite3_close(db);
    rethrow_within("cannot open " + path.string(), error);
  } catch (...) {  // a file-system failure under SQLite, rethrown as the seam's own certvault::Error
    sqlite3_close(db);
    throw;
  }
  try {
    return std::unique_ptr<Catalog>(new Catalog(db, path));
  } catch (...) {  // preparing the statements failed: the connection is nobody's yet
    sqlite3_close(db);
    throw;
  }
}

Catalog::Catalog(sqlite3* db, std::filesystem::path path)
    : db_(db), path_(std::move(path)), statements_(std::make_unique<Statements>(db)) {}

Catalog::~Catalog() {
  statements_.reset();
  sqlite3_close(db_);
}

void Catalog::keep_file_locks() { execute(db_, "PRAGMA locking_mode=EXCLUSIVE", "keep the file locks"); }

int Catalog::schema_version() const {
  Statement statement(db_, "PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.column_int64(0));
}

void Catalog::set_setting(const std::string& key, const std::string& value) {
  Statement statement(db_, "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?");
  statement.bind_text(1, key).bind_text(2, value).bind_text(3, value);
  statement.run();
}

void Catalog::remove_setting(const std::string& key) {
  Statement statement(db_, "DELETE FROM settings WHERE key = ?");
  statement.bind_text(1, key);
  statement.run();
}

std::optional<std::string> Catalog::setting(const std::string& key) const {
  Statement statement(db_, "SELECT value FROM settings WHERE key = ?");
  statement.bind_text(1, key);
  if (!statement.step()) return std::nullopt;
  return statement.column_text(0);
}

std::optional<ChunkLocation> Catalog::find_chunk(const ChunkId& id) const {
  auto& statement = statements_->find_chunk;
  const ResetOnExit reset(statement);
  statement.bind_blob(1, id);
  if (!statement.step()) return std::nullopt;
  ChunkLocation location;
  location.id = id;
  read_location_fields(statement, 0, location);
  return location;
}

bool Catalog::has_chunk(const ChunkId& id) const {
  auto& statement = statements_->has_chunk;
  const ResetOnExit reset(statement);
  statement.bind_blob(1, id);
  return statement.step();
}

std::optional<PackRecord> Catalog::pack(int64_t pack_id) const {
  Statement statement(db_, "SELECT id, name, size, entry_count, created_unix FROM packs WHERE id = ?");
  statement.bind_int64(1, pack_id);
  if (!statement.step()) return std::nullopt;
  return PackRecord{statement.column_int64(0), statement.column_text(1),
                    static_cast<uint64_t>(statement.column_int64(2)), static_cast<uint32_t>(statement.column_int64(3)),
                    statement.column_int64(4)};
}

std::vector<PackRecord> Catalog::packs() const {
  Statement statement(db_, "SELECT id, name, size, entry_count, created_unix FROM packs ORDER BY id");
  std::vector<PackRecord> packs;
  while (statement.step()) {
    packs.push_back({statement.column_int64(0), statement.column_text(1),
                     static_cast<uint64_t>(statement.column_int64(2)), static_cast<uint32_t>(statement.column_int64(3)),
                     statement.column_int64(4)});
  }
  return packs;
}

void Catalog::for_each_chunk(const std::function<void(const ChunkLocation&)>& visit) const {
  Statement statement(db_, std::string("SELECT c.id, ") + kLocationColumns + kChunkRows);
  while (statement.step()) visit(read_location(statement));
}

std::optional<RecipeRecord> Catalog::recipe(const Digest& id) const {
  auto& statement = statements_->find_recipe;
  const ResetOnExit reset(statement);
  statement.bind_blob(1, id);
  if (!statement.step()) return std::nullopt;
  RecipeRecord record;
  record.id = id;
  read_recipe_fields(statement, 0, record);
  return record;
}

bool Catalog::has_recipe(const Digest& id) const {
  auto& statement = statements_->has_recipe;
  const ResetOnExit reset(statement);
  statement.bind_blob(1, id);
  return statement.step();
}

void Catalog::insert_recipe_row(const RecipeRecord& recipe) {
  auto& statement = statements_->insert_recipe;
  statement.reset();
  statement.bind_blob(1, recipe.id);
  if (recipe.base) {
    statement.bind_blob(2, *recipe.base);
  } else {
    statement.bind_null(2);
  }
  statement.bind_int64(3, recipe.depth)
      .bind_int64(4, static_cast<int64_t>(recipe.chunk_count))
      .bind_int64(5, static_cast<int64_t>(recipe.logical_size))
      .bind_blob_no_copy(6, recipe.body);
  statement.run();
  statement.reset();  // before `recipe.body` can go
}

void Catalog::insert_snapshot_rows(const SnapshotRecord& s, const std::vector<FileRecord>& files,
                                   const std::vector<MissingFile>& missing) {
  auto& insert = statements_->insert_snapshot;
  insert.reset();
  insert.bind_text(1, s.id).bind_int64(2, s.created_unix).bind_text(3, s.kind).bind_text(4, s.source);
  insert.bind_text(5, s.server).bind_text(6, s.ca_name);
  s.parent ? insert.bind_text(7, *s.parent) : insert.bind_null(7);
  s.base_full ? insert.bind_text(8, *s.base_full) : insert.bind_null(8);
  s.gen_low ? insert.bind_int64(9, *s.gen_low) : insert.bind_null(9);
  s.gen_high ? insert.bind_int64(10, *s.gen_high) : insert.bind_null(10);
  insert.bind_int64(11, static_cast<int64_t>(s.logical_size)).bind_int64(12, static_cast<int64_t>(s.added_size));
  insert.bind_blob(13, s.restore_map_raw).bind_text(14, s.manifest);
  insert.bind_int64(15, std::get<0>(order_key(s))).bind_int64(16, static_cast<int64_t>(s.commit_seq));
  insert.bind_int64(17, s.order_rank).bind_text(18, s.source_path);
  insert.run();
  for (const auto& tag : s.tags) {
    auto& statement = statements_->insert_tag;
    statement.reset();
    statement.bind_text(1, s.id).bind_text(2, tag);
    statement.run();
  }
  for (size_t i = 0; i < s.restore_map.size(); ++i) {
    auto& statement = statements_->insert_map_entry;
    statement.reset();
    statement.bind_text(1, s.id)
        .bind_int64(2, static_cast<int64_t>(i))
        .bind_int64(3, s.restore_map[i].type_code)
        .bind_text(4, s.restore_map[i].path);
    statement.run();
  }
  for (const auto& f : files) {
    auto& statement = statements_->insert_file;
    statement.reset();
    statement.bind_text(1, s.id).bind_int64(2, f.seq).bind_text(3, f.path).bind_text(4, f.role);
    statement.bind_int64(5, f.type_code).bind_text(6, f.api_path).bind_int64(7, static_cast<int64_t>(f.size));
    statement.bind_blob(8, f.digest).bind_blob(9, f.recipe);
    f.log_generation ? statement.bind_int64(10, *f.log_generation) : statement.bind_null(10);
    statement.run();
  }
  for (const auto& m : missing) {
    auto& statement = statements_->insert_missing;
    statement.reset();
    statement.bind_text(1, s.id).bind_text(2, m.path).bind_text(3, m.reason);
    statement.run();
  }
}

int64_t Catalog::insert_pack_row(const PackRecord& pack) {
  auto& statement = statements_->insert_pack;
  statement.reset();
  statement.bind_text(1, pack.name)
      .bind_int64(2, static_cast<int64_t>(pack.size))
      .bind_int64(3, pack.entry_count)
      .bind_int64(4, pack.created_unix);
  statement.run();
  return sqlite3_last_insert_rowid(db_);
}

void Catalog::insert_chunk_row(const ChunkLocation& chunk, int64_t pack_id) {
  const int64_t number = dictionary_number(chunk.dictionary);
  auto& statement = statements_->insert_chunk;
  statement.reset();
  statement.bind_blob(1, chunk.id)
      .bind_int64(2, pack_id)
      .bind_int64(3, static_cast<int64_t>(chunk.offset))
      .bind_int64(4, chunk.stored_size)
      .bind_int64(5, chunk.raw_size)
      .bind_int64(6, chunk.flags)
      .bind_int64(7, number);
  statement.run();
}

// Numbered on first use, inside the caller's transaction: a chunk row is written before its
// dictionary's row (which commit_snapshot adds last), so the number cannot live in `dictionaries`.
int64_t Catalog::dictionary_number(uint32_t dictionary) {
  if (dictionary == 0) return 0;
  {
    auto& find = statements_->find_dictionary_number;
    const ResetOnExit reset(find);
    find.bind_int64(1, dictionary);
    if (find.step()) return find.column_int64(0);
  }
  auto& insert = statements_->insert_dictionary_number;
  insert.reset();
  insert.bind_int64(1, dictionary);
  insert.run();
  return sqlite3_last_insert_rowid(db_);
}

void Catalog::stage_pack(const PackRecord& pack, const std::vector<ChunkLocation>& chunks) try {
  if (rebuilding_) throw CatalogError(ErrorKind::kInternal, "catalog: stage a pack during a rebuild");
  if (!staging_) {
    execute(db_, "BEGIN IMMEDIATE", "stage pack " + pack.name + ": begin");
    staging_ = true;
  }
  const int64_t pack_id = insert_pack_row(pack);
  // In id order, as the chunk index is keyed: each of its pages is then visited once per pack.
  // In the pack's (random) id order, an index larger than SQLite's page cache had its pages
  // evicted and written back again between visits within the pack (an 8 GiB first full: 15.7 s
  // of system time, then 5.0 s).
  std::vector<const ChunkLocation*> by_id;
  by_id.reserve(chunks.size());
  for (const auto& chunk : chunks) by_id.push_back(&chunk);
  std::sort(by_id.begin(), by_id.end(), [](const ChunkLocation* a, const ChunkLocation* b) { return a->id < b->id; });
  for (const auto* chunk : by_id) insert_chunk_row(*chunk, pack_id);
} catch (const CatalogError& error) {
  abandon_staging();
  rethrow_within("stage pack " + pack.name, error);
}

void Catalog::abandon_staging() {
  if (!staging_) return;
  staging_ = false;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Catalog::commit_snapshot(const SnapshotCommit& commit) try {
  // With staged rows the transaction is already open; it ends here, committed or rolled back.
  std::optional<Transaction> transaction;
  if (staging_) {
    transaction.emplace(db_, "commit snapshot " + commit.snapshot.id, Transaction::kAlreadyBegun);
    staging_ = false;
  } else {
    transaction.emplace(db_, "commit snapshot " + commit.snapshot.id);
  }
  std::vector<int64_t> pack_ids;
  pack_ids.reserve(commit.new_packs.size());
  for (const auto& pack : commit.new_packs) pack_ids.push_back(insert_pack_row(pack));
  for (const auto& chunk : commit.new_chunks) {
    if (chunk.pack_id < 0 || static_cast<size_t>(chunk.pack_id) >= pack_ids.size()) {
      throw CatalogError(ErrorKind::kInternal, "catalog: chunk refers to new pack index " +
                                                   std::to_string(chunk.pack_id) + " of " +
                                                   std::to_string(pack_ids.size()));
    }
    insert_chunk_row(chunk, pack_ids[static_cast<size_t>(chunk.pack_id)]);
  }
  for (const auto& dictionary : commit.new_dictionaries) add_dictionary(dictionary);
  // Bases first, so that the foreign key from a delta to its base holds.
  std::vector<const RecipeRecord*> recipes;
  for (const auto& recipe : commit.new_recipes) recipes.push_back(&recipe);
  std::stable_sort(recipes.begin(), recipes.end(), [](auto* a, auto* b) { return a->depth < b->depth; });
  for (const auto* recipe : recipes) insert_recipe_row(*recipe);
  insert_snapshot_rows(commit.snapshot, commit.files, commit.missing_files);
  transaction->commit();
} catch (const CatalogError& error) {
  // The transaction has rolled back by now: nothing of the commit is visible.
  rethrow_within("commit snapshot " + commit.snapshot.id, error);
}

SnapshotRecord Catalog::read_snapshot_row(Statement& statement) const {
  SnapshotRecord s;
  s.id = statement.column_text(0);
  s.created_unix = statement.column_int64(1);
  s.kind = statement.column_text(2);
  s.source = statement.column_text(3);
  s.server = statement.column_text(4);
  s.ca_name = statement.column_text(5);
  if (!statement.column_is_null(6)) s.parent = statement.column_text(6);
  if (!statement.column_is_null(7)) s.base_full = statement.column_text(7);
  if (!statement.column_is_null(8)) s.gen_low = static_cast<uint32_t>(statement.column_int64(8));
  if (!statement.column_is_null(9)) s.gen_high = static_cast<uint32_t>(statement.column_int64(9));
  s.logical_size = static_cast<uint64_t>(statement.column_int64(10));
  s.added_size = static_cast<uint64_t>(statement.column_int64(11));
  const auto raw = statement.column_blob(12);
  s.restore_map_raw.assign(raw.begin(), raw.end());
  s.manifest = statement.column_text(13);
  s.created_us = statement.column_int64(14);
  s.commit_seq = static_cast<uint64_t>(statement.column_int64(15));
  s.order_rank = statement.column_int64(16);
  s.source_path = statement.column_text(17);
  return s;  // tags and restore map: attach_tags_and_restore_maps()
}

static constexpr const char* kSnapshotColumns =
    "SELECT s.id, s.created_unix, s.kind, s.source, s.server, s.ca_name, s.parent, s.base_full, s.gen_low, "
    "s.gen_high, s.logical_size, s.added_size, s.restore_map_raw, s.manifest, s.created_us, s.commit_seq, "
    "s.order_rank, s.source_path FROM snapshots s ";

std::vector<SnapshotRecord> Catalog::query_snapshots(const SnapshotFilter& filter, const char* order,
                                                     bool with_restore_map) const {
  std::string sql = std::string(kSnapshotColumns) + "WHERE 1";
  if (filter.source) sql += " AND s.source = :source";
  if (filter.server) sql += " AND s.server = :server";
  if (filter.kind) sql += " AND s.kind = :kind";
  if (filter.tag) sql += " AND EXISTS (SELECT 1 FROM snapshot_tags t WHERE t.snapshot_id = s.id AND t.tag = :tag)";
  if (filter.since_unix) sql += " AND s.created_unix >= :since";
  sql += order;
  Statement statement(db_, sql);
  if (filter.source) statement.bind_text(statement.parameter(":source"), *filter.source);
  if (filter.server) statement.bind_text(statement.parameter(":server"), *filter.server);
  if (filter.kind) statement.bind_text(statement.parameter(":kind"), *filter.kind);
  if (filter.tag) statement.bind_text(statement.parameter(":tag"), *filter.tag);
  if (filter.since_unix) statement.bind_int64(statement.parameter(":since"), *filter.since_unix);
  std::vector<SnapshotRecord> snapshots;
  while (statement.step()) snapshots.push_back(read_snapshot_row(statement));
  attach_tags_and_restore_maps(snapshots, with_restore_map);
  return snapshots;
}

std::vector<RestoreMapEntry> Catalog::restore_map(const std::string& snapshot_id) const {
  Statement statement(db_, "SELECT type_code, path FROM restore_map WHERE snapshot_id = ? ORDER BY seq");
  statement.bind_text(1, snapshot_id);
  std::vector<RestoreMapEntry> entries;
  while (statement.step()) {
    entries.push_back({static_cast<uint16_t>(statement.column_int64(0)), statement.column_text(1)});
  }
  return entries;
}

std::vector<SnapshotRecord> Catalog::snapshots(const SnapshotFilter& filter) const {
  return query_snapshots(filter, " ORDER BY s.created_us, s.commit_seq, s.order_rank, s.rowid", true);
}

std::optional<SnapshotRecord> Catalog::latest_snapshot(const SnapshotFilter& filter) const {
  auto found = query_snapshots(
      filter, " ORDER BY s.created_us DESC, s.commit_seq DESC, s.order_rank DESC, s.rowid DESC LIMIT 1", true);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

uint64_t Catalog::next_commit_seq() const {
  Statement statement(db_, "SELECT COALESCE(MAX(commit_seq), 0) FROM snapshots");
  statement.step();
  return static_cast<uint64_t>(statement.column_int64(0)) + 1;
}

std::optional<SnapshotRecord> Catalog::snapshot(const std::string& id) const {
  Statement statement(db_, std::string(kSnapshotColumns) + "WHERE s.id = ?");
  statement.bind_text(1, id);
  if (!statement.step()) return std::nullopt;
  std::vector<SnapshotRecord> records{read_snapshot_row(statement)};
  statement.reset();
  attach_tags_and_restore_maps(records, true);
  return std::move(records.front());
}

std::vector<std::string> Catalog::snapshot_ids_with_prefix(const std::string& prefix) const {
  Statement statement(db_, "SELECT id FROM snapshots WHERE id >= ? AND id < ? ORDER BY id");
  statement.bind_text(1, prefix).bind_text(2, prefix + "\x7f");
  std::vector<std::string> ids;
  while (statement.step()) ids.push_back(statement.column_text(0));
  return ids;
}

std::vector<FileRecord> Catalog::files(const std::string& snapshot_id) const {
  Statement statement(db_,
                      "SELECT seq, path, role, type_code, api_path, size, digest, recipe, log_generation FROM files "
                      "WHERE snapshot_id = ? ORDER BY seq");
  statement.bind_text(1, snapshot_id);
  std::vector<FileRecord> files;
  while (statement.step()) files.push_back(read_file(statement, 0));
  return files;
}

std::vector<MissingFile> Catalog::missing_files(const std::string& snapshot_id) const {
  Statement statement(db_, "SELECT path, reason FROM missing_files WHERE snapshot_id = ? ORDER BY rowid");
  statement.bind_text(1, snapshot_id);
  std::vector<MissingFile> missing;
  while (statement.step()) missing.push_back({statement.column_text(0), statement.column_text(1)});
  return missing;
}

void Catalog::record_truncation(const TruncationRecord& record) {
  Transaction transaction(db_, "record truncation");
  Statement intent(db_, "DELETE FROM truncations WHERE snapshot_id = ? AND outcome = 'unknown'");
  intent.bind_text(1, record.snapshot_id);
  intent.run();
  Statement statement(db_,
                      "INSERT INTO truncations(snapshot_id, time_unix, hresult, message, outcome) "
                      "VALUES (?, ?, ?, ?, ?)");
  statement.bind_text(1, record.snapshot_id)
      .bind_int64(2, record.time_unix)
      .bind_int64(3, record.hresult)
      .bind_text(4, record.message)
      .bind_text(5, record.outcome);
  statement.run();
  transaction.commit();
}

std::vector<TruncationRecord> Catalog::truncations(const std::string& snapshot_id) const {
  Statement statement(db_,
                      "SELECT snapshot_id, time_unix, hresult, message, outcome FROM truncations WHERE snapshot_id = ? "
                      "ORDER BY id");
  statement.bind_text(1, snapshot_id);
  std::vector<TruncationRecord> records;
  while (statement.step()) {
    records.push_back({statement.column_text(0), statement.column_int64(1),
                       static_cast<int32_t>(statement.column_int64(2)), statement.column_text(3),
                       statement.column_text(4)});
  }
  return records;
}

std::vector<TruncationRecord> Catalog::all_truncations() const {
  Statement statement(db_, "SELECT snapshot_id, time_unix, hresult, message, outcome FROM truncations ORDER BY id");
  std::vector<TruncationRecord> records;
  while (statement.step()) {
    records.push_back({statement.column_text(0), statement.column_int64(1),
                       static_cast<int32_t>(statement.column_int64(2)), statement.column_text(3),
                       statement.column_text(4)});
  }
  return records;
}

void Catalog::begin_rebuild() {
  if (rebuilding_) {
    throw CatalogError(ErrorKind::kInternal, "catalog: begin_rebuild(): a rebuild is already in progress");
  }
  execute(db_, "BEGIN IMMEDIATE", "begin rebuild");
  try {
    // Children before parents, so that no foreign key is violated on the way.
    for (const char* table : {"missing_files", "files", "restore_map", "snapshot_tags", "snapshots", "recipes",
                              "chunks", "packs", "dictionaries", "dictionary_numbers"}) {
      execute(db_, std::string("DELETE FROM ") + table, std::string("rebuild: clear ") + table);
    }
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  rebuilding_ = true;
}

uint64_t Catalog::recipe_count() const {
  Statement statement(db_, "SELECT COUNT(*) FROM recipes");
  statement.step();
  return static_cast<uint64_t>(statement.column_int64(0));
}

void Catalog::begin_catch_up() {
  if (rebuilding_) {
    throw CatalogError(ErrorKind::kInternal, "catalog: begin_catch_up(): a rebuild is already in progress");
  }
  execute(db_, "BEGIN IMMEDIATE", "begin catching up with the repository's objects");
  rebuilding_ = true;
}

void Catalog::abandon_catch_up() {
  if (!rebuilding_) return;
  rebuilding_ = false;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Catalog::add_pack_with_chunks(PackRecord pack, std::vector<ChunkLocation> chunks) {
  const int64_t pack_id = insert_pack_row(pack);
  for (const auto& chunk : chunks) insert_chunk_row(chunk, pack_id);
}

void Catalog::add_recipe(const RecipeRecord& recipe) { insert_recipe_row(recipe); }

void Catalog::add_dictionary(const DictionaryRecord& dictionary) {
  Statement statement(db_,
                      "INSERT OR IGNORE INTO dictionaries(id, role, name, size, ratio_ppm, created_unix) "
                      "VALUES (?, ?, ?, ?, ?, ?)");
  statement.bind_int64(1, dictionary.id)
      .bind_text(2, dictionary.role)
      .bind_text(3, dictionary.name)
      .bind_int64(4, static_cast<int64_t>(dictionary.size))
      .bind_int64(5, dictionary.ratio_ppm)
      .bind_int64(6, dictionary.created_unix);
  statement.run();
}

namespace {
DictionaryRecord read_dictionary(const Statement& statement) {
  DictionaryRecord record;
  record.id = static_cast<uint32_t>(statement.column_int64(0));
  record.role = statement.column_text(1);
  record.name = statement.column_text(2);
  record.size = static_cast<uint64_t>(statement.column_int64(3));
  record.ratio_ppm = static_cast<uint32_t>(statement.column_int64(4));
  record.created_unix = statement.column_int64(5);
  return record;
}
constexpr const char* kDictionaryColumns = "SELECT id, role, name, size, ratio_ppm, created_unix FROM dictionaries";
}  // namespace

std::vector<DictionaryRecord> Catalog::dictionaries() const {
  Statement statement(db_, std::string(kDictionaryColumns) + " ORDER BY created_unix, id");
  std::vector<DictionaryRecord> records;
  while (statement.step()) records.push_back(read_dictionary(statement));
  return records;
}

std::optional<DictionaryRecord> Catalog::latest_dictionary(const std::string& role) const {
  Statement statement(db_, std::string(kDictionaryColumns) +
                               " WHERE role = ? ORDER BY created_unix DESC, rowid DESC "
                               "LIMIT 1");
  statement.bind_text(1, role);
  if (!statement.step()) return std::nullopt;
  return read_dictionary(statement);
}

std::vector<uint32_t> Catalog::dictionaries_in_use() const {
  // One scan of the chunk index; a number is a primary-key lookup in a table of a few rows.
  Statement statement(db_,
                      "SELECT DISTINCT n.id FROM chunks c JOIN dictionary_numbers n ON n.number = c.dictionary_number "
                      "WHERE c.dictionary_number != 0 ORDER BY 1");
  std::vector<uint32_t> ids;
  while (statement.step()) ids.push_back(static_cast<uint32_t>(statement.column_int64(0)));
  return ids;
}

void Catalog::delete_dictionary(uint32_t id) {
  Statement statement(db_, "DELETE FROM dictionaries WHERE id = ?");
  statement.bind_int64(1, id);
  statement.run();
}

void Catalog::add_snapshot(const SnapshotRecord& snapshot, const std::vector<FileRecord>& files,
                           const std::vector<MissingFile>& missing) {
  insert_snapshot_rows(snapshot, files, missing);
}

void Catalog::finish_rebuild() {
  if (!rebuilding_) throw CatalogError(ErrorKind::kInternal, "catalog: finish_rebuild() without begin_rebuild()");
  rebuilding_ = false;
  try {
    execute(db_, "COMMIT", "commit rebuild");
  } catch (...) {
    // A deferred foreign key (a delta recipe without its base) fails here: drop the whole rebuild.
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

uint64_t Catalog::size_on_disk() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal"}) {
    std::filesystem::path file = path_;
    file += suffix;
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec) total += size;
  }
  return total;
}

std::vector<std::string> Catalog::integrity_check() const {
  Statement statement(db_, "PRAGMA integrity_check");
  std::vector<std::string> rows;
  while (statement.step()) rows.push_back(statement.column_text(0));
  return rows;
}

}  // namespace certvault::catalog
