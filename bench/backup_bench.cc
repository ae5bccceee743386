// certvault-bench backup: the storage engine on generated data.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/operations/ese_headers.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/repository.h"

namespace certvault::bench {
namespace {

// With `ese_header`, page 0 carries an ESE database header (magic, page size,
// file type), so certvault chunks the file on its page boundaries.
void write_ca_like_file(const std::filesystem::path& path, uint64_t size, bool ese_header = false) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<uint8_t> block(1u << 20);
  for (uint64_t offset = 0; offset < size; offset += block.size()) {
    for (size_t p = 0; p < block.size(); p += 8192) fill_ca_like_page(block.data() + p, (offset + p) / 8192);
    if (offset == 0 && ese_header) {
      const uint32_t fields[][2] = {{4, 0x89ABCDEF}, {236, 8192}};
      for (const auto& [at, value] : fields) {
        for (int i = 0; i < 4; ++i) block[at + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
      }
      block[667] = 1;
      // ESE's checksum of the header page: backups verify it.
      const uint32_t checksum = ese::header_checksum(std::span<const uint8_t>(block).first(8192));
      for (int i = 0; i < 4; ++i) block[static_cast<size_t>(i)] = static_cast<uint8_t>(checksum >> (8 * i));
    }
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size()));
  }
}

// Rewrites `fraction` of the file's pages with new content; returns the ideal:
// the zstd size of the changed pages alone.
uint64_t rewrite_pages(const std::filesystem::path& path, uint64_t size, double fraction, uint64_t seed) {
  const uint64_t pages = size / 8192;
  std::mt19937_64 random(seed);
  std::set<uint64_t> chosen;
  while (chosen.size() < static_cast<size_t>(static_cast<double>(pages) * fraction))
    chosen.insert(1 + random() % (pages - 1));  // page 0 holds the header
  const int fd = ::open(path.c_str(), O_WRONLY);
  uint64_t ideal = 0;
  std::vector<uint8_t> page(8192);
  for (uint64_t p : chosen) {
    fill_ca_like_page(page.data(), p + seed * 1000003);
    ideal += zstd_size(page.data(), page.size());
    if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(p * 8192)) != 8192) std::abort();
  }
  ::close(fd);
  return ideal;
}

int run_backup_bench(int argc, char** argv) {
  CLI::App app{"Backup engine: first and unchanged backups, export, 0.5% page rewrite vs the ideal"};
  uint64_t size_mib = 1024;
  int passes = 3;
  std::vector<uint32_t> averages = {4096, 8192, 16384};
  app.add_option("--size-mib", size_mib, "size of the generated file")->capture_default_str();
  app.add_option("--passes", passes, "passes for medians")->capture_default_str();
  app.add_option("--averages", averages, "chunk averages for the page-rewrite comparison")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ScratchFolder scratch;
  const auto source = scratch.path() / "source";
  std::filesystem::create_directories(source);
  const uint64_t size = size_mib << 20;
  write_ca_like_file(source / "ca.edb", size);
  const double mb = static_cast<double>(size) / 1e6;

  const auto repo = scratch.path() / "repo";
  Repository::init(repo, {});
  double first_seconds = 0;
  uint64_t first_stored = 0;
  first_seconds = seconds_of([&] {
    auto repository = Repository::open(repo, LockMode::kExclusive);
    first_stored = back_up_folder(*repository, {source, {}, {}}).new_bytes_stored;
  });
  std::vector<double> unchanged, exports;
  for (int i = 0; i < passes; ++i) {
    unchanged.push_back(seconds_of([&] {
      auto repository = Repository::open(repo, LockMode::kExclusive);
      back_up_folder(*repository, {source, {}, {}});
    }));
    const auto target = scratch.path() / ("export" + std::to_string(i));
    exports.push_back(seconds_of([&] {
      auto repository = Repository::open(repo, LockMode::kShared);
      export_snapshot(*repository, repository->resolve("latest"), {target, false});
    }));
    std::filesystem::remove_all(target);
  }
  std::filesystem::remove_all(repo);
  fmt::print("data: {} MiB CA-like pages (zstd ~50%)\n", size_mib);
  fmt::print("first backup:     {:8.1f} MB/s  ({} bytes stored)\n", mb / first_seconds, first_stored);
  fmt::print("unchanged backup: {:8.1f} MB/s  (median of {})\n", mb / median(unchanged), passes);
  fmt::print("export:           {:8.1f} MB/s  (median of {})\n", mb / median(exports), passes);

  nlohmann::json rewrite = nlohmann::json::array();
  // Content-defined chunks at each average, then page-aligned chunks (avg 0 in the output).
  averages.push_back(0);
  for (uint32_t avg : averages) {
    const bool pages = avg == 0;
    write_ca_like_file(source / "ca.edb", size, pages);
    const auto r = scratch.path() / fmt::format("repo-{}", avg);
    InitOptions options;
    if (!pages) options.chunk_avg = avg;
    Repository::init(r, options);
    {
      auto repository = Repository::open(r, LockMode::kExclusive);
      back_up_folder(*repository, {source, {}, {}});
    }
    // A seed unlike the pages' own, so the rewritten pages really change.
    const uint64_t ideal = rewrite_pages(source / "ca.edb", size, 0.005, 7 + avg);
    uint64_t stored = 0, catalog_before = 0, catalog_after = 0;
    {
      auto repository = Repository::open(r, LockMode::kExclusive);
      catalog_before = repository->catalog().size_on_disk();
    }
    {
      auto repository = Repository::open(r, LockMode::kExclusive);
      stored = back_up_folder(*repository, {source, {}, {}}).new_bytes_stored;
    }
    {
      auto repository = Repository::open(r, LockMode::kShared);
      catalog_after = repository->catalog().size_on_disk();
    }
    const double ratio = static_cast<double>(stored) / static_cast<double>(ideal);
    const uint64_t catalog_growth = catalog_after - catalog_before;
    fmt::print(
        "0.5% pages rewritten, {:>13}: stored {:9} bytes, ideal {:9}, ratio {:.2f}; catalog +{} bytes "
        "({:.1f}% of stored)\n",
        pages ? std::string("page-aligned") : fmt::format("CDC avg {}", avg), stored, ideal, ratio, catalog_growth,
        100.0 * static_cast<double>(catalog_growth) / static_cast<double>(stored));
    rewrite.push_back({{"chunking", pages ? std::string("page-aligned") : fmt::format("cdc-{}", avg)},
                       {"stored_bytes", stored},
                       {"ideal_bytes", ideal},
                       {"ratio_to_ideal", ratio},
                       {"catalog_growth_bytes", catalog_growth}});
    std::filesystem::remove_all(r);
  }
  fmt::print("peak RSS: {:.1f} MiB\n", static_cast<double>(peak_rss_bytes()) / (1 << 20));
  const nlohmann::json result = {{"size_mib", size_mib},
                                 {"first_backup_mbps", mb / first_seconds},
                                 {"unchanged_backup_mbps", mb / median(unchanged)},
                                 {"export_mbps", mb / median(exports)},
                                 {"peak_rss_mib", static_cast<double>(peak_rss_bytes()) / (1 << 20)},
                                 {"page_rewrite", rewrite}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

const ModeRegistration registration{
    {"backup", "backup engine: first/unchanged backup, export, 0.5% rewrite vs ideal", run_backup_bench}};

}  // namespace
}  // namespace certvault::bench
