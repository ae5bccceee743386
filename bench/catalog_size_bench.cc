// certvault-bench catalog-size: bytes per chunk of the catalog's chunk index (issue 16: at most
// 48), for the current schema and, in the same run, for schema 3 (the baseline: the index by pack
// and the dictionary id in `flags`). Both get the same rows, pack by pack as a first full of a
// CA database writes them: 8 KiB pages, random keyed-hash ids, 32 MiB packs, most chunks
// compressed with one dictionary. Then the schema-3 file is migrated in place and one pass over
// every pack's rows (PackChunks, what check and prune use) is timed.
#include <fmt/core.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <vector>

#include "bench_mode.h"
#include "bench_support.h"
#include "catalog_schema.h"
#include "certvault/catalog/catalog.h"

namespace certvault::bench {
namespace {

constexpr uint64_t kPackBytes = 32ull << 20;  // the default pack target
constexpr uint64_t kEntryHeader = 48;
constexpr uint32_t kPageSize = 8192;
constexpr uint32_t kDictionary = 0x5a3c9e21;  // ZDICT ids are below 2^31

struct Pack {
  catalog::PackRecord record;
  std::vector<catalog::ChunkLocation> chunks;
};

// Deterministic rows: the same for both schemas.
class RowSource {
 public:
  explicit RowSource(uint64_t chunks) : remaining_(chunks) {}
  bool next(Pack& pack) {
    if (remaining_ == 0) return false;
    pack.chunks.clear();
    pack.record = {0, fmt::format("packs/{:02x}/{:032x}.pack", packs_ % 256, random_()), 0, 0, 1767225600};
    uint64_t offset = 16;
    while (remaining_ > 0 && offset < kPackBytes) {
      catalog::ChunkLocation chunk;
      for (size_t i = 0; i < chunk.id.size(); i += 8) {
        const uint64_t word = random_();
        for (size_t b = 0; b < 8; ++b) chunk.id[i + b] = static_cast<uint8_t>(word >> (8 * b));
      }
      chunk.offset = offset;
      chunk.raw_size = kPageSize;
      chunk.stored_size = static_cast<uint32_t>(1500 + random_() % 5000);  // CA pages compress to about 0.5
      chunk.flags = 1;                                                     // compressed
      chunk.dictionary = random_() % 10 == 0 ? 0 : kDictionary;            // a tenth: logs, no dictionary
      offset += kEntryHeader + chunk.stored_size;
      pack.chunks.push_back(chunk);
      --remaining_;
    }
    pack.record.size = offset + 40 * pack.chunks.size() + 32;
    pack.record.entry_count = static_cast<uint32_t>(pack.chunks.size());
    ++packs_;
    return true;
  }

 private:
  uint64_t remaining_;
  uint64_t packs_ = 0;
  std::mt19937_64 random_{16};
};

// The current schema, through the catalog's own write path (staged packs, one commit).
uint64_t fill_current(const std::filesystem::path& path, uint64_t chunks, uint64_t& packs) {
  auto catalog = catalog::Catalog::open(path);
  RowSource source(chunks);
  Pack pack;
  while (source.next(pack)) {
    catalog->stage_pack(pack.record, pack.chunks);
    ++packs;
  }
  catalog::SnapshotCommit commit;
  commit.snapshot.id = fmt::format("{:032x}", 1);
  commit.snapshot.kind = "full";
  commit.snapshot.source = "bench";
  commit.snapshot.manifest = "snapshots/" + commit.snapshot.id + ".snap";
  commit.new_dictionaries.push_back(
      {kDictionary, "database", fmt::format("dicts/{:08x}.dict", kDictionary), 112640, 500000, 1767225600});
  catalog->commit_snapshot(commit);
  return catalog->size_on_disk();
}

void check_sqlite(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    throw std::runtime_error(fmt::format("schema-3 baseline: {}: {}", what, sqlite3_errmsg(db)));
  }
}

// Schema 3 as released: its migrations, and its row encoding (the dictionary id in flags' bits
// 16..47), which the catalog no longer writes; hence this one INSERT of the baseline's own.
uint64_t fill_schema3(const std::filesystem::path& path, uint64_t chunks) {
  sqlite3* db = nullptr;
  check_sqlite(db, sqlite3_open(path.c_str(), &db), "open");
  catalog::migrate(db, path, 3);
  check_sqlite(db, sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), "begin");
  sqlite3_stmt* pack_row = nullptr;
  sqlite3_stmt* chunk_row = nullptr;
  check_sqlite(db,
               sqlite3_prepare_v2(db, "INSERT INTO packs(name, size, entry_count, created_unix) VALUES (?, ?, ?, ?)",
                                  -1, &pack_row, nullptr),
               "prepare");
  check_sqlite(db,
               sqlite3_prepare_v2(db,
                                  "INSERT INTO chunks(id, pack_id, offset, stored_size, raw_size, flags) "
                                  "VALUES (?, ?, ?, ?, ?, ?)",
                                  -1, &chunk_row, nullptr),
               "prepare");
  RowSource source(chunks);
  Pack pack;
  while (source.next(pack)) {
    sqlite3_reset(pack_row);
    sqlite3_bind_text(pack_row, 1, pack.record.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(pack_row, 2, static_cast<int64_t>(pack.record.size));
    sqlite3_bind_int64(pack_row, 3, pack.record.entry_count);
    sqlite3_bind_int64(pack_row, 4, pack.record.created_unix);
    check_sqlite(db, sqlite3_step(pack_row), "insert pack");
    const int64_t pack_id = sqlite3_last_insert_rowid(db);
    for (const auto& chunk : pack.chunks) {
      sqlite3_reset(chunk_row);
      sqlite3_bind_blob(chunk_row, 1, chunk.id.data(), static_cast<int>(chunk.id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(chunk_row, 2, pack_id);
      sqlite3_bind_int64(chunk_row, 3, static_cast<int64_t>(chunk.offset));
      sqlite3_bind_int64(chunk_row, 4, chunk.stored_size);
      sqlite3_bind_int64(chunk_row, 5, chunk.raw_size);
      sqlite3_bind_int64(chunk_row, 6, static_cast<int64_t>((uint64_t{chunk.dictionary} << 16) | chunk.flags));
      check_sqlite(db, sqlite3_step(chunk_row), "insert chunk");
    }
  }
  sqlite3_finalize(pack_row);
  sqlite3_finalize(chunk_row);
  const auto dictionary_row = fmt::format(
      "INSERT INTO dictionaries(id, role, name, size, ratio_ppm, created_unix) "
      "VALUES ({0}, 'database', 'dicts/{0:08x}.dict', 112640, 500000, 1767225600); COMMIT",
      kDictionary);
  check_sqlite(db, sqlite3_exec(db, dictionary_row.c_str(), nullptr, nullptr, nullptr), "commit");
  sqlite3_close(db);
  return std::filesystem::file_size(path);
}

int run_catalog_size_bench(int argc, char** argv) {
  CLI::App app{"Bytes per chunk of the catalog's chunk index, current schema against schema 3, same rows"};
  uint64_t chunks = 1ull << 20;  // an 8 GiB database in 8 KiB pages
  app.add_option("--chunks", chunks, "chunk rows (default: 8 GiB of 8 KiB pages)")->check(CLI::Range(1000, 100000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ScratchFolder folder;
  const auto current_path = folder.path() / "current.db";
  const auto baseline_path = folder.path() / "schema3.db";
  uint64_t packs = 0;
  uint64_t current_bytes = 0, baseline_bytes = 0;
  const double current_seconds = seconds_of([&] { current_bytes = fill_current(current_path, chunks, packs); });
  const double baseline_seconds = seconds_of([&] { baseline_bytes = fill_schema3(baseline_path, chunks); });
  const double n = static_cast<double>(chunks);
  fmt::print("{} chunk rows in {} packs\n", chunks, packs);
  fmt::print("schema {}: {:>11} bytes, {:.1f} bytes/chunk (filled in {:.1f} s)\n", catalog::kSchemaVersion,
             current_bytes, static_cast<double>(current_bytes) / n, current_seconds);
  fmt::print("schema 3:  {:>11} bytes, {:.1f} bytes/chunk (filled in {:.1f} s) (baseline)\n", baseline_bytes,
             static_cast<double>(baseline_bytes) / n, baseline_seconds);

  // The baseline file migrated in place (then vacuumed: the old table's pages go back).
  std::unique_ptr<catalog::Catalog> migrated;
  const double migrate_seconds = seconds_of([&] { migrated = catalog::Catalog::open(baseline_path); });
  uint64_t migrated_chunks = 0;
  migrated->for_each_chunk([&](const catalog::ChunkLocation&) { ++migrated_chunks; });
  if (migrated_chunks != chunks) throw std::runtime_error("migration lost chunk rows");
  const uint64_t migrated_bytes = migrated->size_on_disk();
  migrated.reset();
  fmt::print("schema 3 -> {} in place: {:.1f} s; {:.1f} bytes/chunk after it\n", catalog::kSchemaVersion,
             migrate_seconds, static_cast<double>(migrated_bytes) / n);

  // One pass over every pack's rows, in pack order (check's and prune's access).
  auto catalog = catalog::Catalog::open(current_path);
  uint64_t passed = 0;
  const double pass_seconds = seconds_of([&] {
    catalog::PackChunks rows(*catalog, {}, false);
    for (const auto& pack : catalog->packs()) passed += rows.next(pack.id).size();
  });
  if (passed != chunks) throw std::runtime_error("PackChunks missed chunk rows");
  fmt::print("every pack's rows in one sorted pass: {:.2f} s\n", pass_seconds);

  const double per_chunk = static_cast<double>(current_bytes) / n;
  const double baseline_per_chunk = static_cast<double>(baseline_bytes) / n;
  nlohmann::json result = {{"mode", "catalog-size"},
                           {"chunks", chunks},
                           {"packs", packs},
                           {"schema", catalog::kSchemaVersion},
                           {"bytes_on_disk", current_bytes},
                           {"bytes_per_chunk", per_chunk},
                           {"baseline_schema", 3},
                           {"baseline_bytes_on_disk", baseline_bytes},
                           {"baseline_bytes_per_chunk", baseline_per_chunk},
                           {"ratio_to_baseline", per_chunk / baseline_per_chunk},
                           {"migrated_bytes_per_chunk", static_cast<double>(migrated_bytes) / n},
                           {"migrate_seconds", migrate_seconds},
                           {"pack_pass_seconds", pass_seconds},
                           {"target_bytes_per_chunk", 48}};
  fmt::print("{}\n", result.dump());
  return 0;
}

const ModeRegistration registration({"catalog-size",
                                     "bytes per chunk of the catalog's chunk index against schema 3 (same run)",
                                     run_catalog_size_bench});

}  // namespace
}  // namespace certvault::bench
