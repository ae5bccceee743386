// certvault-bench scale: how memory and speed follow the database size. For
// each size a simulated CA is created and every command a CA administrator
// runs is timed as the real `certvault` binary in a child process, so each peak
// RSS is that command's own (wait4's getrusage): a first full, a second full
// after ~0.5% of the pages changed (against `cat` of the same database in the
// same run), the same two through `backup --folder`, an incremental, export,
// check --read-data, stats and forget --prune. Ratios are to the first size.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench_mode.h"
#include "bench_support.h"

namespace certvault::bench {
namespace {

struct Step {
  double seconds = 0;
  uint64_t peak_rss = 0;
  nlohmann::json output;  // the command's --json output when it printed one
};

std::filesystem::path build_dir() { return std::filesystem::path(CERTVAULT_BINARY_DIR); }
std::string certvault_binary() { return (build_dir() / "cli" / "certvault").string(); }
std::string casim_binary() { return (build_dir() / "sim" / "casim").string(); }
std::string sim_library() { return (build_dir() / "sim" / "libcertadm_sim.so").string(); }
const std::string kZstd = "/usr/bin/zstd";

// Runs argv with stdout to `output` (stderr to /dev/null); throws unless it exits 0.
Step run_step(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  Step step;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null = ::open("/dev/null", O_WRONLY);
    if (fd >= 0) dup2(fd, 1);
    if (null >= 0) dup2(null, 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  step.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  step.peak_rss = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) {
    std::string command;
    for (const auto& arg : argv) command += arg + " ";
    throw std::runtime_error(fmt::format("exit {}: {}", code, command));
  }
  std::ifstream in(output);
  std::stringstream text;
  text << in.rdbuf();
  step.output = nlohmann::json::parse(text.str(), nullptr, false);
  return step;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

nlohmann::json run_size(const std::string& size, const std::filesystem::path& work, bool folder, int cat_runs) {
  const auto ca = work / "ca";
  const auto repo = work / "repo";
  const auto out = work / "out.txt";
  const auto cv = certvault_binary();
  run_step({casim_binary(), "init", ca.string(), "--ca-name", "Scale CA", "--db-size", size}, out);
  // Opened with a key file, as the scheduled task opens it: a passphrase would add Argon2id's
  // 128 MiB to every command's peak and hide what the command itself holds.
  ::setenv("CERTVAULT_KEY_FILE", (work / "repository.key").c_str(), 1);
  const auto database = ca / "CertLog" / "Scale CA.edb";
  const uint64_t db_bytes = std::filesystem::file_size(database);
  const int certificates = static_cast<int>(db_bytes / 8192 * 5 / 1000 / 3);  // ~3 pages each: 0.5%
  run_step({cv, "init", "--repo", repo.string()}, out);

  nlohmann::json steps;
  auto record = [&](const std::string& name, const Step& step, uint64_t bytes) {
    nlohmann::json row = {{"seconds", step.seconds}, {"peak_rss_mib", mib(step.peak_rss)}};
    if (bytes) row["mbps"] = static_cast<double>(bytes) / 1e6 / step.seconds;
    if (step.output.is_object() && step.output.contains("seconds")) {
      row["inner_seconds"] = step.output["seconds"];
      if (bytes) row["inner_mbps"] = static_cast<double>(bytes) / 1e6 / step.output["seconds"].get<double>();
    }
    steps[name] = row;
    fmt::print("  {:<22} {:8.2f} s  {:7.1f} MiB peak", name, step.seconds, mib(step.peak_rss));
    if (bytes) fmt::print("  {:8.0f} MB/s", static_cast<double>(bytes) / 1e6 / step.seconds);
    if (row.contains("inner_mbps")) fmt::print(" ({:.0f} MB/s inside)", row["inner_mbps"].get<double>());
    fmt::print("\n");
    std::fflush(stdout);
  };
  auto backup = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {cv, "backup", "--repo", repo.string(), "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_step(argv, out);
  };
  auto api = [&](const std::string& type) {
    return backup({"--server", ca.string(), "--library", sim_library(), "--type", type});
  };
  auto bytes_of = [](const Step& step) {
    return step.output.is_object() ? step.output.value("logical_bytes", uint64_t{0}) : uint64_t{0};
  };
  auto issue = [&](int count) {
    run_step({casim_binary(), "issue", ca.string(), "--count", std::to_string(count)}, out);
  };

  fmt::print("database {} ({} bytes), {} certificates between fulls\n", size, db_bytes, certificates);
  const Step first = api("full");
  record("full (first)", first, bytes_of(first));
  issue(certificates);
  std::vector<double> cat_seconds;
  for (int i = 0; i < cat_runs; ++i) {
    cat_seconds.push_back(run_step({"/bin/cat", database.string()}, "/dev/null").seconds);
  }
  const double cat_mbps = static_cast<double>(db_bytes) / 1e6 / median(cat_seconds);
  steps["cat"] = {{"seconds", median(cat_seconds)}, {"mbps", cat_mbps}};
  fmt::print("  {:<22} {:8.2f} s  (median of {})          {:8.0f} MB/s\n", "cat database", median(cat_seconds),
             cat_runs, cat_mbps);
  // The first full's baseline: zstd -3 on two threads over the same database (issue 16, item 5).
  if (std::filesystem::exists(kZstd)) {
    std::vector<double> zstd_seconds;
    for (int i = 0; i < cat_runs; ++i) {
      zstd_seconds.push_back(run_step({kZstd, "-3", "-T2", "-q", "-c", database.string()}, "/dev/null").seconds);
    }
    const double zstd_mbps = static_cast<double>(db_bytes) / 1e6 / median(zstd_seconds);
    steps["zstd -3 -T2"] = {{"seconds", median(zstd_seconds)}, {"mbps", zstd_mbps}};
    steps["full (first)"]["ratio_to_zstd_t2"] = steps["full (first)"]["mbps"].get<double>() / zstd_mbps;
    fmt::print("  {:<22} {:8.2f} s  (median of {})          {:8.0f} MB/s; first full {:.2f}x its speed\n",
               "zstd -3 -T2 database", median(zstd_seconds), cat_runs, zstd_mbps,
               steps["full (first)"]["ratio_to_zstd_t2"].get<double>());
  }
  const Step second = api("full");
  record("full (0.5% changed)", second, bytes_of(second));
  steps["full (0.5% changed)"]["ratio_to_cat"] = steps["full (0.5% changed)"]["mbps"].get<double>() / cat_mbps;
  if (folder) {
    const Step folder_first = backup({"--folder", (ca / "CertLog").string()});
    record("folder (first)", folder_first, bytes_of(folder_first));

    issue(certificates);
    const Step folder_second = backup({"--folder", (ca / "CertLog").string()});
    record("folder (0.5% changed)", folder_second, bytes_of(folder_second));
    steps["folder (0.5% changed)"]["ratio_to_cat"] = steps["folder (0.5% changed)"]["mbps"].get<double>() / cat_mbps;
  }
  issue(16 * 1000 / 25);  // about 16 new 1 MiB logs
  record("incremental", api("incremental"), 0);
  // Nothing below reads the CA: without it, a 32 GiB run needs the repository and the export on
  // disk at once (about 50 GB), not the CA as well.
  std::filesystem::remove_all(ca);
  const auto target = work / "export";
  const Step exported = run_step({cv, "export", "latest", "--repo", repo.string(), "--to", target.string()}, out);
  record("export", exported, db_bytes);
  std::filesystem::remove_all(target);
  record("check --read-data", run_step({cv, "check", "--repo", repo.string(), "--read-data"}, out), 0);
  record("stats", run_step({cv, "stats", "--repo", repo.string()}, out), 0);
  record("forget --prune", run_step({cv, "forget", "--repo", repo.string(), "--keep-last", "1", "--prune"}, out), 0);
  return {{"db_bytes", db_bytes}, {"steps", steps}};
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> parts;
  std::stringstream in(list);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

int run_scale_bench(int argc, char** argv) {
  CLI::App app{"Peak RSS and speed of every command against the database size"};
  std::string sizes = "1,8";
  bool no_folder = false;
  int cat_runs = 3;
  app.add_option("--db-gib", sizes,
                 "database sizes in GiB (or with a unit: 64MiB), comma-separated; the first is the baseline")
      ->capture_default_str();
  app.add_flag("--no-folder", no_folder, "skip the two backup --folder steps");
  app.add_option("--cat-runs", cat_runs, "runs of cat (the median is the baseline)")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  nlohmann::json results = nlohmann::json::object();
  std::string first;
  for (const auto& gib : split(sizes)) {
    ScratchFolder scratch;
    // A bare number is GiB; "64MiB" and the like pass through (for quick runs).
    const std::string size = gib.ends_with("iB") ? gib : gib + "GiB";
    results[size] = run_size(size, scratch.path(), !no_folder, cat_runs);
    if (first.empty()) first = size;
  }
  // Each step's peak RSS and speed as a ratio to the first size.
  fmt::print("\npeak RSS MiB by size (ratio to {}):\n", first);
  const auto& base = results[first]["steps"];
  for (auto& [size, result] : results.items()) {
    for (auto& [name, row] : result["steps"].items()) {
      if (!row.contains("peak_rss_mib") || !base.contains(name)) continue;
      row["rss_ratio_to_first"] = row["peak_rss_mib"].get<double>() / base[name]["peak_rss_mib"].get<double>();
      fmt::print("  {:<6} {:<22} {:7.1f} MiB  {:.2f}x\n", size, name, row["peak_rss_mib"].get<double>(),
                 row["rss_ratio_to_first"].get<double>());
    }
  }
  std::printf("%s\n", results.dump().c_str());
  return 0;
}

const ModeRegistration registration{
    {"scale", "peak RSS and speed of every command against the database size", run_scale_bench}};

}  // namespace
}  // namespace certvault::bench
