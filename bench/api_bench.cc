// certvault-bench api: end-to-end backups of the simulated CA through the
// Certadm binding, against the page-level storage ideal.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench_mode.h"
#include "bench_support.h"
#include "certvault/operations/api_backup.h"
#include "certvault/repository/repository.h"

namespace certvault::bench {
namespace {

std::filesystem::path sim_dir() { return std::filesystem::path(CERTVAULT_BINARY_DIR) / "sim"; }

void casim(const std::string& arguments) {
  const std::string command = "'" + (sim_dir() / "casim").string() + "' " + arguments + " >/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("casim failed: " + command);
}

std::string read_command(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  pclose(pipe);
  return output;
}

// The zstd size of every page casim wrote since the last reset: what an ideal
// page-level archiver would have to store for the database.
uint64_t changed_pages_ideal(const std::filesystem::path& ca, const std::filesystem::path& database,
                             uint64_t& page_count) {
  const std::string pages =
      read_command("'" + (sim_dir() / "casim").string() + "' changed-pages '" + ca.string() + "'");
  const int fd = ::open(database.c_str(), O_RDONLY);
  std::vector<uint8_t> page(8192);
  uint64_t ideal = 0;
  page_count = 0;
  size_t start = 0;
  while (start < pages.size()) {
    const size_t end = pages.find('\n', start);
    const std::string line = pages.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? pages.size() : end + 1;
    if (line.empty()) continue;
    const uint64_t number = std::stoull(line);
    // Data page N sits at (N + 1) * 8192 (docs/sim.md).
    if (::pread(fd, page.data(), page.size(), static_cast<off_t>((number + 1) * 8192)) != 8192) continue;
    ideal += zstd_size(page.data(), page.size());
    ++page_count;
  }
  ::close(fd);
  return ideal;
}

uint64_t logs_ideal(const std::filesystem::path& ca, uint32_t low, uint32_t high) {
  uint64_t total = 0;
  for (uint32_t g = low; g <= high; ++g) {
    const auto path = ca / "CertLog" / fmt::format("edb{:05X}.log", g);
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    total += zstd_size(bytes.data(), bytes.size());
  }
  return total;
}

int run_api_bench(int argc, char** argv) {
  CLI::App app{"End-to-end backups of the simulated CA through the Certadm binding"};
  std::string db_size = "1GiB";
  uint32_t buffer_kib = 1024;
  int certificates = 0;
  app.add_option("--db-size", db_size, "database size (casim init --db-size)")->capture_default_str();
  app.add_option("--read-buffer-kib", buffer_kib, "CertSrvBackupRead buffer")->capture_default_str();
  app.add_option("--certificates", certificates, "certificates between the fulls (default: ~0.5% of pages)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ScratchFolder scratch;
  const auto ca = scratch.path() / "ca";
  const auto repo = scratch.path() / "repo";
  casim("init '" + ca.string() + "' --ca-name 'Bench CA' --db-size " + db_size);
  const auto database = ca / "CertLog" / "Bench CA.edb";
  const uint64_t db_bytes = std::filesystem::file_size(database);
  if (certificates == 0) certificates = static_cast<int>(db_bytes / 8192 * 5 / 1000 / 3);  // ~3 pages each
  Repository::init(repo, {});

  auto back_up = [&](RequestedBackupType type) {
    auto repository = Repository::open(repo, LockMode::kExclusive);
    ApiBackupOptions options;
    options.server = ca.string();
    options.library = sim_dir() / "libcertadm_sim.so";
    options.type = type;
    options.read_buffer_bytes = buffer_kib * 1024;
    options.keep_logs = true;  // the ideal reads the logs back from the CA folder
    return back_up_server(*repository, options);
  };
  const auto first = back_up(RequestedBackupType::kFull);
  casim("changed-pages '" + ca.string() + "' --reset");
  casim("issue '" + ca.string() + "' --count " + std::to_string(certificates));
  uint64_t changed_pages = 0;
  const uint64_t pages_ideal = changed_pages_ideal(ca, database, changed_pages);
  const auto second = back_up(RequestedBackupType::kFull);
  const uint64_t ideal = pages_ideal + logs_ideal(ca, second.log_range->low, second.log_range->high);

  // An incremental of about 16 new logs (1 MiB each).
  casim("issue '" + ca.string() + "' --count " + std::to_string(16 * 1000 / 25 * 1));
  const auto incremental = back_up(RequestedBackupType::kIncremental);
  const uint32_t logs = incremental.log_range ? incremental.log_range->high - incremental.log_range->low + 1 : 0;

  const double first_mbps = static_cast<double>(first.logical_bytes) / 1e6 / first.seconds;
  const double second_mbps = static_cast<double>(second.logical_bytes) / 1e6 / second.seconds;
  const double ratio = static_cast<double>(second.new_bytes_stored) / static_cast<double>(ideal);
  fmt::print("database {} bytes; read buffer {} KiB\n", db_bytes, buffer_kib);
  fmt::print("first full:   {:8.1f} MB/s, {} bytes stored\n", first_mbps, first.new_bytes_stored);
  fmt::print(
      "second full:  {:8.1f} MB/s, {} bytes stored after {} certificates changed {} pages; ideal {} "
      "(pages + new logs, zstd -3): {:.2f}x\n",
      second_mbps, second.new_bytes_stored, certificates, changed_pages, ideal, ratio);
  fmt::print("incremental:  {} logs, {:.2f} s, {} bytes stored\n", logs, incremental.seconds,
             incremental.new_bytes_stored);
  fmt::print("peak RSS: {:.1f} MiB\n", static_cast<double>(peak_rss_bytes()) / (1 << 20));
  const nlohmann::json result = {{"db_bytes", db_bytes},
                                 {"read_buffer_kib", buffer_kib},
                                 {"first_full_mbps", first_mbps},
                                 {"second_full_mbps", second_mbps},
                                 {"second_full_stored_bytes", second.new_bytes_stored},
                                 {"second_full_ideal_bytes", ideal},
                                 {"second_full_ratio_to_ideal", ratio},
                                 {"changed_pages", changed_pages},
                                 {"incremental_logs", logs},
                                 {"incremental_seconds", incremental.seconds},
                                 {"peak_rss_mib", static_cast<double>(peak_rss_bytes()) / (1 << 20)}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

const ModeRegistration registration{{"api", "end-to-end backups of the simulated CA", run_api_bench}};

}  // namespace
}  // namespace certvault::bench
