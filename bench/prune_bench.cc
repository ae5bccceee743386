// certvault-bench prune: `certvault prune` on a repository of N small but
// CA-shaped snapshots after forgetting most of them, against a baseline of
// N/10 snapshots built and pruned the same way in the same run. Prune and
// check run as the real binary in a child process, so each peak RSS is that
// command's own (run_child in bench_support.h), not this process's.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_forget.h"
#include "certvault/repository/snapshot_writer.h"

namespace certvault::bench {
namespace {

constexpr uint32_t kPage = 8192;

struct Shape {
  uint32_t database_pages = 96;    // 768 KiB database, 8 KiB pages
  uint32_t pages_changed = 3;      // per snapshot, in place
  uint32_t log_bytes = 48u << 10;  // one new log per snapshot
};

// N snapshots of a "CA": a database changing a few pages each time (delta
// recipes against the previous snapshot), one new log, a checkpoint file that
// never changes. Returns the ids, oldest first.
std::vector<std::string> build_repository(const std::filesystem::path& dir, uint64_t count, const Shape& shape) {
  InitOptions init;
  init.pack_target_bytes = 4u << 20;
  Repository::init(dir, init);
  auto repository = Repository::open(dir, LockMode::kExclusive);
  std::vector<uint8_t> database(static_cast<size_t>(shape.database_pages) * kPage);
  for (uint32_t page = 0; page < shape.database_pages; ++page) fill_ca_like_page(&database[page * kPage], page);
  std::vector<uint8_t> checkpoint(8192);
  fill_ca_like_page(checkpoint.data(), 999999);
  std::vector<uint8_t> log(shape.log_bytes);
  std::mt19937_64 random(42);
  std::vector<std::string> ids;
  for (uint64_t n = 0; n < count; ++n) {
    for (uint32_t i = 0; i < shape.pages_changed; ++i) {
      const uint32_t page = static_cast<uint32_t>(random() % shape.database_pages);
      fill_ca_like_page(&database[page * kPage], 1000000 + n * shape.pages_changed + i);
    }
    for (size_t i = 0; i < log.size(); i += kPage) {
      fill_ca_like_page(&log[i], 5000000 + n * 64 + i / kPage);
    }
    SnapshotHeader header;
    header.kind = "folder";
    header.source = "bench-ca";
    if (!ids.empty()) {
      header.parent = ids.back();
      header.dedup_reference = ids.back();
    }
    auto writer = repository->begin_snapshot(header);
    const auto add = [&](const std::string& path, const std::string& role, std::span<const uint8_t> bytes,
                         uint32_t fixed) {
      FileHeader file;
      file.path = path;
      file.role = role;
      file.chunking = fixed != 0 ? chunker::Chunking::page_aligned(fixed) : chunker::Chunking::content_defined();
      writer->begin_file(file);
      writer->write(bytes);
      writer->end_file();
    };
    add("db/ca.edb", "database", database, kPage);
    add(fmt::format("logs/edb{:05X}.log", n + 1), "log", log, 0);
    add("db/edb.chk", "checkpoint", checkpoint, 0);
    ids.push_back(writer->commit().snapshot_id());
  }
  return ids;
}

struct Figures {
  uint64_t snapshots = 0, kept = 0;
  uint64_t pack_bytes_before = 0, pack_bytes_after = 0;
  double build_seconds = 0;
  double prune_seconds = 0;  // median
  uint64_t prune_rss = 0;    // median
  double check_seconds = 0;
  uint64_t check_rss = 0;
};

// Keeps every tenth snapshot and the newest, forgets the rest, then prunes
// `runs` copies of that repository with the real binary.
Figures measure(const std::filesystem::path& scratch, uint64_t count, const Shape& shape, int runs) {
  Figures figures;
  figures.snapshots = count;
  const auto prepared = scratch / fmt::format("repo-{}", count);
  std::vector<std::string> ids;
  figures.build_seconds = seconds_of([&] { ids = build_repository(prepared, count, shape); });
  std::vector<std::string> forget;
  for (uint64_t i = 0; i < ids.size(); ++i) {
    if (i % 10 == 9 || i + 1 == ids.size()) {
      ++figures.kept;
    } else {
      forget.push_back(ids[i]);
    }
  }
  {
    auto repository = Repository::open(prepared, LockMode::kExclusive);
    forget_snapshots(*repository, forget);
  }
  const auto binary = (std::filesystem::path(CERTVAULT_BINARY_DIR) / "cli" / "certvault").string();
  std::vector<double> seconds;
  std::vector<double> rss;
  for (int run = 0; run < runs; ++run) {
    const auto copy = scratch / fmt::format("run-{}-{}", count, run);
    std::filesystem::copy(prepared, copy, std::filesystem::copy_options::recursive);
    const auto prune = run_child({binary, "prune", "--repo", copy.string(), "--json"}, scratch / "prune.out");
    if (prune.exit_code != 0) throw std::runtime_error(fmt::format("certvault prune exited {}", prune.exit_code));
    seconds.push_back(prune.seconds);
    rss.push_back(static_cast<double>(prune.peak_rss));
    if (run == runs - 1) {
      const auto check = run_child({binary, "check", "--repo", copy.string()}, scratch / "check.out");
      if (check.exit_code != 0) throw std::runtime_error(fmt::format("certvault check exited {}", check.exit_code));
      figures.check_seconds = check.seconds;
      figures.check_rss = check.peak_rss;
    }
    std::filesystem::remove_all(copy);
  }
  // Pack totals from the catalog, before and after one more prune of a copy.
  {
    auto repository = Repository::open(prepared, LockMode::kShared);
    for (const auto& pack : repository->catalog().packs()) figures.pack_bytes_before += pack.size;
  }
  const auto after = scratch / fmt::format("after-{}", count);
  std::filesystem::copy(prepared, after, std::filesystem::copy_options::recursive);
  run_child({binary, "prune", "--repo", after.string()}, scratch / "prune.out");
  {
    auto repository = Repository::open(after, LockMode::kShared);
    for (const auto& pack : repository->catalog().packs()) figures.pack_bytes_after += pack.size;
  }
  std::filesystem::remove_all(after);
  std::filesystem::remove_all(prepared);
  figures.prune_seconds = median(seconds);
  figures.prune_rss = static_cast<uint64_t>(median(rss));
  return figures;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

int run_prune_bench(int argc, char** argv) {
  CLI::App app{"`certvault prune` after forgetting 90% of N snapshots: time and peak RSS against N/10 snapshots"};
  uint64_t snapshots = 1000;
  int runs = 3;
  Shape shape;
  app.add_option("--snapshots", snapshots, "snapshots in the large repository (baseline: a tenth)")
      ->check(CLI::Range(20, 1000000));
  app.add_option("--runs", runs, "prunes of each repository (copies); medians are reported")->check(CLI::Range(1, 20));
  app.add_option("--database-pages", shape.database_pages, "8 KiB pages in each snapshot's database")
      ->check(CLI::Range(8, 1000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ScratchFolder scratch;
  const auto baseline = measure(scratch.path(), snapshots / 10, shape, runs);
  const auto large = measure(scratch.path(), snapshots, shape, runs);
  for (const auto* f : {&baseline, &large}) {
    fmt::print(
        "{:>6} snapshots (built in {:.1f} s), kept {}: packs {:.1f} MiB -> {:.1f} MiB; prune median {:.2f} s, "
        "peak RSS {:.1f} MiB; check {:.2f} s, peak RSS {:.1f} MiB\n",
        f->snapshots, f->build_seconds, f->kept, mib(f->pack_bytes_before), mib(f->pack_bytes_after), f->prune_seconds,
        mib(f->prune_rss), f->check_seconds, mib(f->check_rss));
  }
  const double rss_ratio = static_cast<double>(large.prune_rss) / static_cast<double>(baseline.prune_rss);
  const double time_ratio = large.prune_seconds / baseline.prune_seconds;
  fmt::print("prune, {} vs {} snapshots: time ratio {:.1f}, peak RSS ratio {:.2f}\n", snapshots, snapshots / 10,
             time_ratio, rss_ratio);
  const nlohmann::json result = {{"mode", "prune"},
                                 {"snapshots", snapshots},
                                 {"kept", large.kept},
                                 {"runs", runs},
                                 {"pack_bytes_before", large.pack_bytes_before},
                                 {"pack_bytes_after", large.pack_bytes_after},
                                 {"prune_s", large.prune_seconds},
                                 {"prune_peak_rss_bytes", large.prune_rss},
                                 {"check_s", large.check_seconds},
                                 {"check_peak_rss_bytes", large.check_rss},
                                 {"baseline_snapshots", baseline.snapshots},
                                 {"baseline_prune_s", baseline.prune_seconds},
                                 {"baseline_prune_peak_rss_bytes", baseline.prune_rss},
                                 {"prune_time_ratio", time_ratio},
                                 {"prune_peak_rss_ratio", rss_ratio}};
  fmt::print("{}\n", result.dump());
  return 0;
}

const ModeRegistration registration({"prune", "certvault prune after forget: time and peak RSS, 1,000 vs 100 snapshots",
                                     run_prune_bench});

}  // namespace
}  // namespace certvault::bench
