// certvault-bench catalog: chunk-index lookups per second (find_chunk/has_chunk,
// hits and misses) and commit_snapshot throughput against a real catalog file.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/catalog/catalog.h"

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

int run_catalog_bench(int argc, char** argv) {
  CLI::App app{"Chunk-index lookups/s and commit_snapshot cost on a catalog of N chunks; medians of 5 passes"};
  uint64_t chunks = 200000;
  uint64_t lookups = 100000;
  app.add_option("--chunks", chunks, "chunks in the catalog")->check(CLI::Range(1000, 100000000));
  app.add_option("--lookups", lookups, "lookups per pass")->check(CLI::Range(1000, 100000000));
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
  nlohmann::json result = {{"mode", "catalog"},
                           {"chunks", chunks},
                           {"lookups", lookups},
                           {"find_chunk_hit_per_s", find_hit_rate},
                           {"has_chunk_hit_per_s", has_hit_rate},
                           {"has_chunk_miss_per_s", has_miss_rate},
                           {"commit_16k_chunks_ms", commit_ms},
                           {"bytes_on_disk", bytes}};
  fmt::print("{}\n", result.dump());
  return 0;
}

const ModeRegistration registration({"catalog", "chunk-index lookups/s and commit cost of the SQLite catalog",
                                     run_catalog_bench});

}  // namespace
}  // namespace certvault::bench
