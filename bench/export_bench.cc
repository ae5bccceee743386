// certvault-bench export: export and restore throughput of a CA snapshot
// against a raw copy (read + write + fsync) of the same bytes in the same run.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/operations/api_backup.h"
#include "certvault/operations/api_restore.h"
#include "certvault/operations/ca_export.h"
#include "certvault/operations/export_destination.h"
#include "certvault/repository/repository.h"

namespace certvault::bench {
namespace {

std::filesystem::path sim_folder() { return std::filesystem::path(CERTVAULT_BINARY_DIR) / "sim"; }

void casim(const std::string& arguments) {
  const std::string command = "'" + (sim_folder() / "casim").string() + "' " + arguments + " >/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("casim failed: " + command);
}

// The baseline: every file of `from` read and written to `to` in 4 MiB blocks, each fsynced.
uint64_t raw_copy(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::vector<char> buffer(4u << 20);
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(from)) {
    const auto target = to / std::filesystem::relative(entry.path(), from);
    if (entry.is_directory()) {
      std::filesystem::create_directories(target);
      continue;
    }
    std::filesystem::create_directories(target.parent_path());
    const int in = ::open(entry.path().c_str(), O_RDONLY);
    const int out = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) throw std::runtime_error("raw copy: cannot open " + entry.path().string());
    ssize_t n;
    while ((n = ::read(in, buffer.data(), buffer.size())) > 0) {
      if (::write(out, buffer.data(), static_cast<size_t>(n)) != n) throw std::runtime_error("raw copy: write");
      total += static_cast<uint64_t>(n);
    }
    ::fsync(out);
    ::close(in);
    ::close(out);
  }
  return total;
}

int run_export_bench(int argc, char** argv) {
  CLI::App app{"Export and restore throughput of a simulated CA snapshot"};
  std::string db_size = "1GiB";
  int runs = 3;
  app.add_option("--db-size", db_size, "database size (casim init --db-size)")->capture_default_str();
  app.add_option("--runs", runs, "measurements per figure (the median is reported)")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ScratchFolder scratch;
  const auto ca = scratch.path() / "ca";
  const auto repo = scratch.path() / "repo";
  casim("init '" + ca.string() + "' --ca-name 'Bench CA' --db-size " + db_size);
  casim("issue '" + ca.string() + "' --count 2000");  // about 16 logs
  Repository::init(repo, {});
  std::string snapshot;
  {
    auto repository = Repository::open(repo, LockMode::kExclusive);
    ApiBackupOptions options;
    options.server = ca.string();
    options.library = sim_folder() / "libcertadm_sim.so";
    options.type = RequestedBackupType::kFull;
    snapshot = back_up_server(*repository, options).snapshot_id;
  }
  std::vector<double> export_mbps, restore_mbps, copy_mbps, stream_mbps;
  uint64_t bytes = 0;
  for (int run = 0; run < runs; ++run) {
    const auto target = scratch.path() / "export";
    const auto copy = scratch.path() / "copy";
    {
      auto repository = Repository::open(repo, LockMode::kShared);
      CaExportReport report;
      const double seconds = seconds_of([&] {
        report = export_ca_snapshot(*repository, snapshot, {target, "", false, ExportLayout::kCertutil});
      });
      bytes = report.bytes;
      export_mbps.push_back(static_cast<double>(bytes) / 1e6 / seconds);
    }
    {
      // The same export as a tar into a null sink: what the repository side (read, verify,
      // decompress) sustains without the target disk.
      auto repository = Repository::open(repo, LockMode::kShared);
      auto sink = make_tar_stream([](std::span<const uint8_t>) {}, 0);
      const double seconds =
          seconds_of([&] { export_ca_snapshot(*repository, snapshot, ExportLayout::kCertutil, *sink); });
      stream_mbps.push_back(static_cast<double>(bytes) / 1e6 / seconds);
    }
    uint64_t copied = 0;
    const double copy_seconds = seconds_of([&] { copied = raw_copy(target / "DataBase", copy); });
    copy_mbps.push_back(static_cast<double>(copied) / 1e6 / copy_seconds);
    std::filesystem::remove_all(target);
    std::filesystem::remove_all(copy);
    {
      auto repository = Repository::open(repo, LockMode::kShared);
      ApiRestoreOptions options;
      options.server = ca.string();
      options.library = sim_folder() / "libcertadm_sim.so";
      options.surviving_logs = SurvivingLogs::kPointInTime;  // the CA ran on after the backup
      ApiRestoreResult result;
      const double seconds = seconds_of([&] { result = restore_through_api(*repository, snapshot, options); });
      restore_mbps.push_back(static_cast<double>(result.bytes) / 1e6 / seconds);
      if (!result.replaced_folder.empty()) std::filesystem::remove_all(result.replaced_folder);
    }
    casim("start '" + ca.string() + "'");
    fmt::print(
        "run {}: export {:.0f} MB/s, tar to a null sink {:.0f} MB/s, restore {:.0f} MB/s, raw copy {:.0f} "
        "MB/s\n",
        run + 1, export_mbps.back(), stream_mbps.back(), restore_mbps.back(), copy_mbps.back());
  }
  const double export_median = median(export_mbps), restore_median = median(restore_mbps),
               copy_median = median(copy_mbps);
  fmt::print("{} bytes (database + logs + dynamic files), medians of {}:\n", bytes, runs);
  fmt::print("export:   {:8.0f} MB/s  ({:.2f}x raw copy)\n", export_median, export_median / copy_median);
  fmt::print("restore:  {:8.0f} MB/s  ({:.2f}x raw copy)\n", restore_median, restore_median / copy_median);
  fmt::print("tar to a null sink: {:8.0f} MB/s (read, verify, decompress: no target disk)\n", median(stream_mbps));
  fmt::print("raw copy: {:8.0f} MB/s  (read + write + fsync of the exported DataBase folder)\n", copy_median);
  const nlohmann::json result = {{"bytes", bytes},
                                 {"runs", runs},
                                 {"export_mbps", export_median},
                                 {"restore_mbps", restore_median},
                                 {"raw_copy_mbps", copy_median},
                                 {"tar_null_sink_mbps", median(stream_mbps)},
                                 {"export_ratio_to_copy", export_median / copy_median},
                                 {"restore_ratio_to_copy", restore_median / copy_median}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

const ModeRegistration registration{
    {"export", "export and restore throughput of a simulated CA snapshot", run_export_bench}};

}  // namespace
}  // namespace certvault::bench
