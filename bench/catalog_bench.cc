// certvault-bench catalog: chunk-index lookups per second (find_chunk/has_chunk,
// hits and misses) and commit_snapshot throughput against a real catalog file;
// then snapshot listing (Catalog::snapshots(), what `certvault snapshots` runs)
// and forget planning (listing + plan_retention) on catalogs of N snapshots,
// with a tenth-size catalog as the baseline.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/catalog/catalog.h"
#include "certvault/operations/retention.h"

namespace certvault::bench {
namespace {

constexpr int kPasses = 5;

catalog::ChunkId chunk_id(uint64_t index, uint64_t salt) {
  // Spread ids like the keyed hashes they stand for, so the B-tree sees random keys.
  uint64_t a = (index + 1) * 0x9E3779B97F4A7C15ULL ^ salt;
  uint64_t b = a * 0xC2B2AE3D27D4EB4FULL + salt;
  catalog::ChunkId id{};
  for (int i = 0; i < 8; ++i) {
    id[static_cast<size_t>(i)] = static_cast<uint8_t>(a >> (8 * i));
    id[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(b >> (8 * i));
  }
  return id;
}

// One snapshot commit adding one pack of `chunks` chunks, like a backup of chunks * 64 KiB.
catalog::SnapshotCommit chunk_commit(uint64_t snapshot, uint64_t first_chunk, uint64_t chunks) {
  catalog::SnapshotCommit commit;
  commit.snapshot.id = fmt::format("{:032x}", snapshot + 1);
  commit.snapshot.created_unix = static_cast<int64_t>(snapshot);
  commit.snapshot.kind = "full";
  commit.snapshot.source = "bench";
  commit.snapshot.manifest = "snapshots/" + commit.snapshot.id + ".snap";
  commit.new_packs.push_back({0, fmt::format("packs/{:016x}.pack", snapshot), chunks * 65536, 0, 0});
  for (uint64_t i = 0; i < chunks; ++i) {
    catalog::ChunkLocation chunk;
    chunk.id = chunk_id(first_chunk + i, 0);
    chunk.offset = i * 65536;
    chunk.stored_size = 60000;
    chunk.raw_size = 65536;
    commit.new_chunks.push_back(chunk);
  }
  return commit;
}

// A catalog of `count` snapshots of two CAs, hourly: a full every 24 hours and
// incrementals between, two tags and three restore-map entries each, three files.
// Written in one transaction (the rebuild path) so that setup takes seconds.
void fill_snapshot_catalog(catalog::Catalog& catalog, uint64_t count) {
  const int64_t start = 1735689600;  // 2025-01-01
  catalog.begin_rebuild();
  catalog::RecipeRecord recipe;
  recipe.id = chunk_id(0, 7);
  recipe.body = {0, 0};
  catalog.add_recipe(recipe);
  std::string last_full[2];
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t server = i % 2;
    const uint64_t hour = i / 2;
    catalog::SnapshotRecord s;
    s.id = fmt::format("{:032x}", (i + 1) * 0x9E3779B97F4A7C15ULL);
    s.created_unix = start + static_cast<int64_t>(hour * 3600 + server * 60);
    s.kind = hour % 24 == 0 ? "full" : "incremental";
    s.server = fmt::format("ca{}.example.test", server);
    s.source = s.server;
    s.ca_name = fmt::format("Example CA {}", server);
    s.tags = {"nightly", fmt::format("week-{}", hour / 168)};
    if (s.kind == "full") {
      last_full[server] = s.id;
    } else {
      s.base_full = last_full[server];
    }
    s.gen_low = static_cast<uint32_t>(hour * 3 + 1);
    s.gen_high = static_cast<uint32_t>(hour * 3 + 3);
    s.logical_size = 1ull << 30;
    s.added_size = 1ull << 20;
    s.restore_map = {{1, "C:\\Windows\\system32\\CertLog\\ca.edb"},
                     {2, "C:\\Windows\\system32\\CertLog"},
                     {3, "C:\\Windows\\system32\\CertLog"}};
    s.manifest = "snapshots/" + s.id + ".snap";
    std::vector<catalog::FileRecord> files;
    for (uint32_t f = 0; f < 3; ++f) {
      catalog::FileRecord file;
      file.seq = f;
      file.path = fmt::format("CertLog/edb{:05X}.log", hour * 3 + f + 1);
      file.role = "log";
      file.size = 1 << 20;
      file.recipe = recipe.id;
      files.push_back(std::move(file));
    }
    catalog.add_snapshot(s, files, {});
  }
  catalog.finish_rebuild();
}

struct SnapshotFigures {
  double list_seconds = 0, plan_seconds = 0;
  size_t listed = 0, kept = 0;
};

SnapshotFigures measure_snapshots(const std::filesystem::path& folder, uint64_t count) {
  const auto path = folder / fmt::format("snapshots-{}.db", count);
  {
    auto catalog = catalog::Catalog::open(path);
    fill_snapshot_catalog(*catalog, count);
  }
  auto catalog = catalog::Catalog::open(path);
  retention::Policy policy;
  policy.keep_last = 24;
  policy.keep_daily = 7;
  policy.keep_weekly = 4;
  policy.keep_monthly = 12;
  policy.keep_yearly = 3;
  policy.keep_tags = {"week-0"};
  const int64_t now = 1735689600 + static_cast<int64_t>(count / 2) * 3600;
  SnapshotFigures figures;
  std::vector<double> list, plan;
  for (int pass = 0; pass < kPasses; ++pass) {
    list.push_back(seconds_of([&] { figures.listed = catalog->snapshots().size(); }));
    plan.push_back(seconds_of([&] {
      const auto snapshots = catalog->snapshots();
      figures.kept = retention::plan_retention(snapshots, policy, now).kept();
    }));
  }
  figures.list_seconds = median(list);
  figures.plan_seconds = median(plan);
  return figures;
}

int run_catalog_bench(int argc, char** argv) {
  CLI::App app{"Chunk-index lookups/s and commit_snapshot cost on a catalog of N chunks; medians of 5 passes"};
  uint64_t chunks = 200000;
  uint64_t lookups = 100000;
  app.add_option("--chunks", chunks, "chunks in the catalog")->check(CLI::Range(1000, 100000000));
  app.add_option("--lookups", lookups, "lookups per pass")->check(CLI::Range(1000, 100000000));
  uint64_t snapshot_count = 10000;
  app.add_option("--snapshots", snapshot_count, "snapshots in the listing/forget catalog (baseline: a tenth)")
      ->check(CLI::Range(100, 10000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  ScratchFolder folder;
  const auto path = folder.path() / "catalog.db";
  auto catalog = catalog::Catalog::open(path);
  constexpr uint64_t kChunksPerCommit = 16384;  // 1 GiB of 64 KiB chunks
  std::vector<double> commit_seconds;
  uint64_t commits = 0;
  for (uint64_t first = 0; first < chunks; first += kChunksPerCommit, ++commits) {
    const auto commit = chunk_commit(commits, first, std::min(kChunksPerCommit, chunks - first));
    commit_seconds.push_back(seconds_of([&] { catalog->commit_snapshot(commit); }));
  }

  std::vector<double> find_hit, has_hit, has_miss;
  uint64_t found = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    find_hit.push_back(seconds_of([&] {
      for (uint64_t i = 0; i < lookups; ++i) found += catalog->find_chunk(chunk_id((i * 7919) % chunks, 0)).has_value();
    }));
    has_hit.push_back(seconds_of([&] {
      for (uint64_t i = 0; i < lookups; ++i) found += catalog->has_chunk(chunk_id((i * 7919) % chunks, 0));
    }));
    has_miss.push_back(seconds_of([&] {
      for (uint64_t i = 0; i < lookups; ++i) found += catalog->has_chunk(chunk_id(i, 1));
    }));
  }
  if (found != 2 * kPasses * lookups) {
    fmt::print(stderr, "catalog bench: expected {} hits, got {}\n", 2 * kPasses * lookups, found);
    return 1;
  }
  const double n = static_cast<double>(lookups);
  const double find_hit_rate = n / median(find_hit);
  const double has_hit_rate = n / median(has_hit);
  const double has_miss_rate = n / median(has_miss);
  const double commit_ms = median(commit_seconds) * 1000;
  const uint64_t bytes = catalog->size_on_disk();
  fmt::print("catalog of {} chunks in {} commits, {:.1f} MiB on disk ({:.1f} bytes/chunk)\n", chunks, commits,
             static_cast<double>(bytes) / (1 << 20), static_cast<double>(bytes) / static_cast<double>(chunks));
  fmt::print("find_chunk (hit):  {:.0f} lookups/s\n", find_hit_rate);
  fmt::print("has_chunk (hit):   {:.0f} lookups/s\n", has_hit_rate);
  fmt::print("has_chunk (miss):  {:.0f} lookups/s\n", has_miss_rate);
  fmt::print("commit_snapshot of up to {} new chunks: median {:.1f} ms\n", kChunksPerCommit, commit_ms);
  const auto baseline = measure_snapshots(folder.path(), snapshot_count / 10);
  const auto large = measure_snapshots(folder.path(), snapshot_count);
  if (large.listed != snapshot_count || baseline.listed != snapshot_count / 10) {
    fmt::print(stderr, "catalog bench: listed {} and {} snapshots, expected {} and {}\n", baseline.listed, large.listed,
               snapshot_count / 10, snapshot_count);
    return 1;
  }
  fmt::print("snapshots listing, {} snapshots: median {:.1f} ms ({:.1f} ms for {}; ratio {:.1f})\n", snapshot_count,
             large.list_seconds * 1000, baseline.list_seconds * 1000, snapshot_count / 10,
             large.list_seconds / baseline.list_seconds);
  fmt::print(
      "forget planning (list + plan), {} snapshots: median {:.1f} ms ({:.1f} ms for {}; ratio {:.1f}); keeps {}\n",
      snapshot_count, large.plan_seconds * 1000, baseline.plan_seconds * 1000, snapshot_count / 10,
      large.plan_seconds / baseline.plan_seconds, large.kept);
  nlohmann::json result = {{"mode", "catalog"},
                           {"chunks", chunks},
                           {"lookups", lookups},
                           {"find_chunk_hit_per_s", find_hit_rate},
                           {"has_chunk_hit_per_s", has_hit_rate},
                           {"has_chunk_miss_per_s", has_miss_rate},
                           {"commit_16k_chunks_ms", commit_ms},
                           {"bytes_on_disk", bytes},
                           {"snapshots", snapshot_count},
                           {"list_snapshots_ms", large.list_seconds * 1000},
                           {"list_snapshots_baseline_ms", baseline.list_seconds * 1000},
                           {"list_snapshots_ratio", large.list_seconds / baseline.list_seconds},
                           {"forget_plan_ms", large.plan_seconds * 1000},
                           {"forget_plan_baseline_ms", baseline.plan_seconds * 1000},
                           {"forget_plan_ratio", large.plan_seconds / baseline.plan_seconds},
                           {"forget_plan_kept", large.kept}};
  fmt::print("{}\n", result.dump());
  return 0;
}

const ModeRegistration registration({"catalog", "chunk-index lookups/s and commit cost of the SQLite catalog",
                                     run_catalog_bench});

}  // namespace
}  // namespace certvault::bench
