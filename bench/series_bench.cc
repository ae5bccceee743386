// certvault-bench series: issue 14's retention benchmark. F fulls of an M MiB simulated CA
// database (CA-like 8 KiB pages, a given share of them rewritten in place between fulls, one new
// log per full, a checkpoint), then `forget` all but the last K and `certvault prune` with its
// defaults. Baseline, built in the same run from the same generator: a fresh repository that
// received only those K states. Reports the repository size after prune against the baseline
// (target <= 1.05x), prune time and peak RSS (the real binary in a child process), and
// `certvault stats` over the F fulls against the former tally (every named recipe's whole
// effective chunk list, in process).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_forget.h"
#include "certvault/repository/snapshot_writer.h"
#include "certvault/repository/stats.h"
#include "recipe_store.h"

namespace certvault::bench {
namespace {

constexpr uint32_t kPage = 8192;

struct Settings {
  uint64_t fulls = 100, keep = 10;
  uint64_t database_mib = 256;
  double changed_percent = 0.5;
  uint64_t log_kib = 1024;
  int runs = 1;
  std::string max_unused;  // prune's --max-unused; empty: its default
};

// The CA: the database's pages, rewritten in place; each full's log is new.
class SimulatedCa {
 public:
  explicit SimulatedCa(const Settings& settings)
      : settings_(settings),
        database_(static_cast<size_t>(settings.database_mib) << 20),
        checkpoint_(kPage),
        log_(static_cast<size_t>(settings.log_kib) << 10),
        random_(42) {
    for (size_t page = 0; page < database_.size() / kPage; ++page) fill_ca_like_page(&database_[page * kPage], page);
    fill_ca_like_page(checkpoint_.data(), 999999999);
  }

  // The next state: about changed_percent of the pages rewritten, a new log.
  void advance() {
    const uint64_t pages = database_.size() / kPage;
    const auto changed = static_cast<uint64_t>(static_cast<double>(pages) * settings_.changed_percent / 100.0 + 0.5);
    for (uint64_t i = 0; i < changed; ++i) {
      fill_ca_like_page(&database_[(random_() % pages) * kPage], 1000000000 + state_ * 1000000 + i);
    }
    ++state_;
    for (size_t i = 0; i + kPage <= log_.size(); i += kPage)
      fill_ca_like_page(&log_[i], 5000000000 + state_ * 4096 + i / kPage);
  }

  // One full of the current state into `repository`, a delta against `previous` where the files match.
  std::string back_up(Repository& repository, const std::optional<std::string>& previous) const {
    SnapshotHeader header;
    header.kind = "folder";
    header.source = "bench-ca";
    header.parent = previous;
    header.dedup_reference = previous;
    auto writer = repository.begin_snapshot(header);
    const auto add = [&](const std::string& path, const std::string& role, std::span<const uint8_t> bytes, bool pages) {
      FileHeader file;
      file.path = path;
      file.role = role;
      file.chunking = pages ? chunker::Chunking::page_aligned(kPage) : chunker::Chunking::content_defined();
      writer->begin_file(file);
      for (size_t at = 0; at < bytes.size(); at += 1u << 20)
        writer->write(bytes.subspan(at, std::min<size_t>(1u << 20, bytes.size() - at)));
      writer->end_file();
    };
    add("Database/ca.edb", "database", database_, true);
    add(fmt::format("Database/edb{:05X}.log", state_), "log", log_, false);
    add("Database/edb.chk", "checkpoint", checkpoint_, false);
    return writer->commit().snapshot_id();
  }

 private:
  const Settings& settings_;
  std::vector<uint8_t> database_, checkpoint_, log_;
  std::mt19937_64 random_;
  uint64_t state_ = 0;
};

uint64_t bytes_under(const std::filesystem::path& folder) {
  uint64_t total = 0;
  if (!std::filesystem::exists(folder)) return 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

// The tally stats used before issue 14's last part: every named recipe's whole effective list.
double former_stats_seconds(const std::filesystem::path& dir) {
  auto repository = Repository::open(dir, LockMode::kShared);
  auto& catalog = repository->catalog();
  return seconds_of([&] {
    const auto snapshots = catalog.snapshots();
    std::unordered_map<std::string, int64_t> owner_of;
    for (size_t i = 0; i < snapshots.size(); ++i) owner_of.emplace(snapshots[i].id, static_cast<int64_t>(i));
    catalog.begin_chunk_tally();
    for (const auto& use : catalog.recipe_uses()) {
      const int64_t owner = use.snapshots == 1 ? owner_of.at(use.only_snapshot) : -1;
      catalog.tally_chunks(
          recipe::load_ids(catalog, repository->objects(), use.recipe, repository->config().chunk_id_secret), owner,
          true);
    }
    (void)catalog.chunk_tally_focus_totals();
    (void)catalog.chunk_tally_unique_totals();
    catalog.end_chunk_tally();
  });
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

int run_series_bench(int argc, char** argv) {
  CLI::App app{
      "issue 14: F fulls of an M MiB simulated CA, forget all but the last K, prune: size against a fresh "
      "repository of the K states, prune time and peak RSS, stats time"};
  Settings settings;
  app.add_option("--fulls", settings.fulls, "fulls in the series (default 100)")->check(CLI::Range(2, 100000));
  app.add_option("--keep", settings.keep, "the last K are kept (default 10)")->check(CLI::Range(1, 100000));
  app.add_option("--database-mib", settings.database_mib, "database size in MiB (default 256)")
      ->check(CLI::Range(1, 65536));
  app.add_option("--changed-percent", settings.changed_percent, "share of pages rewritten between fulls (default 0.5)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--log-kib", settings.log_kib, "new log bytes per full in KiB (default 1024)")
      ->check(CLI::Range(8, 1048576));
  app.add_option("--max-unused", settings.max_unused, "prune --max-unused PERCENT (default: prune's default)");
  app.add_option("--runs", settings.runs, "prunes of copies of the repository; medians are reported (default 1)")
      ->check(CLI::Range(1, 20));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (settings.keep >= settings.fulls) {
    fmt::print(stderr, "--keep must be below --fulls\n");
    return 2;
  }
  ScratchFolder scratch;
  const auto repo = scratch.path() / "series";
  const auto fresh = scratch.path() / "fresh";
  InitOptions init;  // defaults, as a user's repository
  Repository::init(repo, init);
  Repository::init(fresh, init);
  std::vector<std::string> ids;
  double build_seconds = 0;
  {
    auto series = Repository::open(repo, LockMode::kExclusive);
    auto baseline = Repository::open(fresh, LockMode::kExclusive);
    SimulatedCa ca(settings);
    std::optional<std::string> fresh_previous;
    build_seconds = seconds_of([&] {
      for (uint64_t n = 0; n < settings.fulls; ++n) {
        ca.advance();
        ids.push_back(ca.back_up(*series, ids.empty() ? std::nullopt : std::optional<std::string>(ids.back())));
        if (n + settings.keep >= settings.fulls) fresh_previous = ca.back_up(*baseline, fresh_previous);
      }
    });
  }
  const auto binary = (std::filesystem::path(CERTVAULT_BINARY_DIR) / "cli" / "certvault").string();

  // stats over the whole series: the real binary, and the former tally in process.
  const auto stats = run_child({binary, "stats", "--repo", repo.string(), "--json"}, scratch.path() / "stats.out");
  if (stats.exit_code != 0) throw std::runtime_error(fmt::format("certvault stats exited {}", stats.exit_code));
  double stats_in_process = 0;
  {
    auto repository = Repository::open(repo, LockMode::kShared);
    stats_in_process = seconds_of([&] { (void)compute_stats(*repository); });
  }
  const double former_seconds = former_stats_seconds(repo);

  {
    auto repository = Repository::open(repo, LockMode::kExclusive);
    forget_snapshots(*repository,
                     std::vector<std::string>(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(settings.keep)));
  }
  const uint64_t before_bytes = bytes_under(repo), before_packs = bytes_under(repo / "packs");
  std::vector<double> seconds, rss;
  for (int run = 0; run < settings.runs; ++run) {
    std::filesystem::path target = repo;
    if (run + 1 < settings.runs) {  // earlier runs prune copies; the last prunes the repository itself
      target = scratch.path() / fmt::format("copy-{}", run);
      std::filesystem::copy(repo, target, std::filesystem::copy_options::recursive);
    }
    std::vector<std::string> prune_argv = {binary, "prune", "--repo", target.string(), "--json"};
    if (!settings.max_unused.empty()) prune_argv.insert(prune_argv.end(), {"--max-unused", settings.max_unused});
    const auto prune = run_child(prune_argv, scratch.path() / "prune.out");
    if (prune.exit_code != 0) throw std::runtime_error(fmt::format("certvault prune exited {}", prune.exit_code));
    seconds.push_back(prune.seconds);
    rss.push_back(static_cast<double>(prune.peak_rss));
    if (target != repo) std::filesystem::remove_all(target);
  }
  const auto check = run_child({binary, "check", "--repo", repo.string()}, scratch.path() / "check.out");
  if (check.exit_code != 0) throw std::runtime_error(fmt::format("certvault check exited {}", check.exit_code));
  const uint64_t after_bytes = bytes_under(repo), after_packs = bytes_under(repo / "packs");
  const uint64_t fresh_bytes = bytes_under(fresh), fresh_packs = bytes_under(fresh / "packs");
  const double ratio = static_cast<double>(after_bytes) / static_cast<double>(fresh_bytes);
  const double pack_ratio = static_cast<double>(after_packs) / static_cast<double>(fresh_packs);
  const double prune_seconds = median(seconds);
  const auto prune_rss = static_cast<uint64_t>(median(rss));

  fmt::print("{} fulls of a {} MiB database ({}% of pages changed between fulls, {} KiB log each), built in {:.1f} s\n",
             settings.fulls, settings.database_mib, settings.changed_percent, settings.log_kib, build_seconds);
  fmt::print(
      "stats over {} fulls: certvault stats {:.2f} s (peak RSS {:.1f} MiB); in process {:.2f} s; former tally "
      "(whole effective lists) {:.2f} s: {:.1f}x faster\n",
      settings.fulls, stats.seconds, mib(stats.peak_rss), stats_in_process, former_seconds,
      former_seconds / std::max(stats_in_process, 1e-9));
  fmt::print(
      "forget all but the last {}, prune (--max-unused {}): repository {:.1f} MiB -> {:.1f} MiB (packs {:.1f} -> "
      "{:.1f} "
      "MiB); prune median {:.2f} s of {} run(s), peak RSS {:.1f} MiB; check {:.2f} s\n",
      settings.keep, settings.max_unused.empty() ? "default" : settings.max_unused, mib(before_bytes), mib(after_bytes),
      mib(before_packs), mib(after_packs), prune_seconds, settings.runs, mib(prune_rss), check.seconds);
  fmt::print(
      "fresh repository with only the last {} states: {:.1f} MiB (packs {:.1f} MiB); ratio {:.3f} (packs {:.3f}), "
      "target <= 1.05\n",
      settings.keep, mib(fresh_bytes), mib(fresh_packs), ratio, pack_ratio);
  const nlohmann::json result = {{"mode", "series"},
                                 {"fulls", settings.fulls},
                                 {"keep", settings.keep},
                                 {"database_mib", settings.database_mib},
                                 {"changed_percent", settings.changed_percent},
                                 {"log_kib", settings.log_kib},
                                 {"runs", settings.runs},
                                 {"max_unused", settings.max_unused.empty() ? "default" : settings.max_unused},
                                 {"build_s", build_seconds},
                                 {"stats_s", stats.seconds},
                                 {"stats_peak_rss_bytes", stats.peak_rss},
                                 {"stats_in_process_s", stats_in_process},
                                 {"former_stats_s", former_seconds},
                                 {"repo_bytes_before_prune", before_bytes},
                                 {"repo_bytes_after_prune", after_bytes},
                                 {"pack_bytes_after_prune", after_packs},
                                 {"fresh_repo_bytes", fresh_bytes},
                                 {"fresh_pack_bytes", fresh_packs},
                                 {"size_ratio", ratio},
                                 {"pack_ratio", pack_ratio},
                                 {"prune_s", prune_seconds},
                                 {"prune_peak_rss_bytes", prune_rss},
                                 {"check_s", check.seconds}};
  fmt::print("{}\n", result.dump());
  return 0;
}

const ModeRegistration registration({"series",
                                     "issue 14: F fulls, forget all but K, prune: size vs a fresh repository of the K "
                                     "states, prune time and RSS, stats time",
                                     run_series_bench});

}  // namespace
}  // namespace certvault::bench
