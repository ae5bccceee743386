#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/output_file.h"
#include "certvault/operations/repository_status.h"
#include "certvault/operations/retention.h"
#include "cli_support.h"
#include "commands.h"
#include "exit_codes.h"
#include "progress_line.h"
#include "snapshot_json.h"

namespace certvault::cli {
namespace {

struct StatusCommandOptions {
  std::string repo, source, warn_age = "26h", crit_age = "50h", html, now;
  bool json = false, plugin = false;
};

nlohmann::json point_json(const SnapshotPoint& point) {
  return {{"id", point.id},
          {"kind", point.kind},
          {"created", format_utc(point.created_unix)},
          {"created_unix", point.created_unix},
          {"age_seconds", point.age_seconds},
          {"added_bytes", point.added_bytes},
          {"logical_bytes", point.logical_bytes}};
}

nlohmann::json optional_point_json(const std::optional<SnapshotPoint>& point) {
  return point ? point_json(*point) : nlohmann::json(nullptr);
}

nlohmann::json status_json(const RepositoryStatus& status) {
  nlohmann::json series_list = nlohmann::json::array();
  for (const auto& series : status.series) {
    nlohmann::json verification = nullptr;
    if (series.last_verification) {
      const auto& v = *series.last_verification;
      verification = {{"command", v.command},
                      {"time", format_utc(v.time_us / 1000000)},
                      {"time_unix", v.time_us / 1000000},
                      {"age_seconds", status.now_unix - v.time_us / 1000000},
                      {"result", v.result},
                      {"error", v.error},
                      {"problems", v.problems},
                      {"snapshots", v.snapshots.size()},
                      {"object", v.object}};
    }
    nlohmann::json truncations = nlohmann::json::array();
    for (const auto& t : series.open_truncation_failures) {
      truncations.push_back({{"snapshot", t.snapshot_id},
                             {"time", format_utc(t.time_unix)},
                             {"time_unix", t.time_unix},
                             {"outcome", t.outcome},
                             {"hresult", fmt::format("0x{:08X}", static_cast<uint32_t>(t.hresult))},
                             {"message", t.message}});
    }
    nlohmann::json recent = nlohmann::json::array();
    for (const auto& point : series.recent) recent.push_back(point_json(point));
    nlohmann::json chain = {{"applicable", series.chain.applicable},
                            {"intact", series.chain.intact},
                            {"full", series.chain.full_id},
                            {"incrementals", series.chain.incrementals},
                            {"detail", series.chain.detail}};
    chain["gen_low"] = series.chain.gen_low ? nlohmann::json(*series.chain.gen_low) : nlohmann::json(nullptr);
    chain["gen_high"] = series.chain.gen_high ? nlohmann::json(*series.chain.gen_high) : nlohmann::json(nullptr);
    series_list.push_back({{"source", series.source},
                           {"type", series.ca ? "ca" : "folder"},
                           {"server", series.server},
                           {"ca_name", series.ca_name},
                           {"verdict", verdict_name(series.verdict)},
                           {"reasons", series.reasons},
                           {"snapshots", series.snapshots},
                           {"latest", point_json(series.latest)},
                           {"last_full", optional_point_json(series.last_full)},
                           {"last_incremental", optional_point_json(series.last_incremental)},
                           {"chain", chain},
                           {"last_verification", verification},
                           {"open_truncation_failures", truncations},
                           {"ca_key", series.ca_key.empty() ? nlohmann::json(nullptr) : nlohmann::json(series.ca_key)},
                           {"recent", recent},
                           {"added_bytes_total", series.added_bytes_total}});
  }
  nlohmann::json growth = nlohmann::json::array();
  for (const auto& point : status.growth) {
    growth.push_back({{"id", point.id},
                      {"source", point.source},
                      {"created_unix", point.created_unix},
                      {"added_bytes", point.added_bytes},
                      {"stored_after", point.stored_after}});
  }
  return {{"verdict", verdict_name(status.verdict)},
          {"summary", status.summary},
          {"now", format_utc(status.now_unix)},
          {"now_unix", status.now_unix},
          {"warn_age", status.warn_age},
          {"crit_age", status.crit_age},
          {"repository",
           {{"snapshots", status.snapshots},
            {"packs", status.packs},
            {"pack_bytes", status.pack_bytes},
            {"catalog_bytes", status.catalog_bytes}}},
          {"series", series_list},
          {"growth", growth},
          {"problems", status.problems}};
}

std::string point_text(const std::optional<SnapshotPoint>& point) {
  if (!point) return "none";
  return fmt::format("{}  {}  ({} ago), added {}", point->id.substr(0, 12), format_utc(point->created_unix),
                     format_age(point->age_seconds), format_bytes(point->added_bytes));
}

std::string status_text(const RepositoryStatus& status, const std::string& repo) {
  std::string out = fmt::format("repository {}: {} snapshots, {} in {} packs, catalog {}; as of {}\n", repo,
                                status.snapshots, format_bytes(status.pack_bytes), status.packs,
                                format_bytes(status.catalog_bytes), format_utc(status.now_unix));
  for (const auto& series : status.series) {
    out += fmt::format("\nseries {}{}: {}\n", series.source,
                       series.ca ? fmt::format(" (CA \"{}\" on {})", series.ca_name, series.server) : "",
                       verdict_name(series.verdict));
    out += fmt::format("  newest:            {}\n", point_text(series.latest));
    if (series.ca) {
      out += fmt::format("  last full:         {}\n", point_text(series.last_full));
      out += fmt::format("  last incremental:  {}\n", point_text(series.last_incremental));
    }
    if (series.chain.applicable) {
      out +=
          fmt::format("  chain:             {}: {}\n", series.chain.intact ? "intact" : "BROKEN", series.chain.detail);
    }
    if (series.last_verification) {
      const auto& v = *series.last_verification;
      out += fmt::format("  last verification: {} {} at {} ({} ago){}\n", v.command, v.ok() ? "passed" : "FAILED",
                         format_utc(v.time_us / 1000000), format_age(status.now_unix - v.time_us / 1000000),
                         v.error.empty() ? "" : ": " + v.error);
    } else {
      out += "  last verification: none recorded (run `certvault verify latest` or `check --read-data`)\n";
    }
    for (const auto& t : series.open_truncation_failures) {
      out += fmt::format("  log truncation:    {} after {} at {}: {}\n", t.outcome, t.snapshot_id.substr(0, 12),
                         format_utc(t.time_unix), t.message);
    }
    if (!series.ca_key.empty()) out += fmt::format("  CA private key:    {}\n", series.ca_key);
    if (!series.recent.empty()) {
      std::string list;
      for (const auto& point : series.recent) {
        if (!list.empty()) list += ", ";
        list += format_bytes(point.added_bytes);
      }
      out += fmt::format("  added (last {}):    {}\n", series.recent.size(), list);
    }
    out += fmt::format("  space added:       {} by its {} snapshots\n", format_bytes(series.added_bytes_total),
                       series.snapshots);
    for (const auto& reason : series.reasons) out += fmt::format("  {}: {}\n", verdict_name(series.verdict), reason);
  }
  for (const auto& problem : status.problems) out += fmt::format("problem: {}\n", problem);
  out += fmt::format("\n{} - {}\n", verdict_name(status.verdict), status.summary);
  return out;
}

// Monitoring-plugin perfdata labels: no quote or equals sign, no spaces needed.
std::string perf_label(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool plain =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    out += plain ? c : '_';
  }
  return out;
}

std::string plugin_line(const RepositoryStatus& status, const retention::CalendarDuration& warn,
                        const retention::CalendarDuration& crit) {
  const int64_t warn_seconds = status.now_unix - retention::subtract(status.now_unix, warn);
  const int64_t crit_seconds = status.now_unix - retention::subtract(status.now_unix, crit);
  std::string perf;
  for (const auto& series : status.series) {
    const std::string label = perf_label(series.source);
    perf +=
        fmt::format(" '{}_age'={}s;{};{};0 '{}_added'={}B;;;0", label, std::max<int64_t>(series.latest.age_seconds, 0),
                    warn_seconds, crit_seconds, label, series.latest.added_bytes);
  }
  perf += fmt::format(" 'space_used'={}B;;;0 'snapshots'={};;;0", status.pack_bytes, status.snapshots);
  std::string summary = status.summary;
  for (char& c : summary) {
    if (c == '|' || c == '\n' || c == '\r') c = c == '|' ? '/' : ' ';
  }
  return fmt::format("CERTVAULT {} - {} |{}\n", verdict_name(status.verdict), summary, perf);
}

int exit_code_of(Verdict verdict, bool plugin) {
  if (plugin) return static_cast<int>(verdict);
  switch (verdict) {
    case Verdict::kOk:
      return kExitOk;
    case Verdict::kWarning:
      return kExitStatusWarning;
    case Verdict::kCritical:
      return kExitStatusCritical;
    case Verdict::kUnknown:
      break;
  }
  return kExitFailure;
}

void run_status(const StatusCommandOptions& options) {
  StatusOptions request;
  const int64_t now = unix_now();
  request.now_unix = options.now.empty() ? now : retention::parse_time_spec(options.now, now);
  request.warn_age = retention::parse_duration(options.warn_age);
  request.crit_age = retention::parse_duration(options.crit_age);
  request.warn_age_text = options.warn_age;
  request.crit_age_text = options.crit_age;
  if (retention::subtract(request.now_unix, request.crit_age) >
      retention::subtract(request.now_unix, request.warn_age)) {
    throw Error(ErrorKind::kUsage, fmt::format("--crit-age {} is shorter than --warn-age {}; give a critical age at "
                                               "least as long as the warning age",
                                               options.crit_age, options.warn_age));
  }
  if (!options.source.empty()) request.source = options.source;
  auto repository = open_repository(options.repo, LockMode::kShared);
  const auto status = compute_status(*repository, request);
  if (!options.html.empty()) {
    const std::string page = render_status_html(status, options.repo);
    const auto target = os::path_from_utf8(options.html);
    auto temporary = target;
    temporary += ".certvault-partial";
    OutputFile file(temporary);
    file.write(std::span(reinterpret_cast<const uint8_t*>(page.data()), page.size()));
    file.commit(target);
  }
  command_exit_code() = exit_code_of(status.verdict, options.plugin);
  if (options.plugin) {
    const auto line = plugin_line(status, request.warn_age, request.crit_age);
    std::fwrite(line.data(), 1, line.size(), stdout);
  } else if (options.json) {
    print_json(status_json(status));
  } else {
    const auto text = status_text(status, options.repo);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
}

}  // namespace

void register_status_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "status", "are the backups good? per series: age, chain, last verification, truncations, growth; one verdict");
  auto options = std::make_shared<StatusCommandOptions>();
  add_repo_option(*command, options->repo);
  command->add_option("--source", options->source,
                      "only this series (a server name, a folder as given to backup, or a --source name)");
  command->add_option("--warn-age", options->warn_age,
                      "WARNING when a series' newest snapshot is older than this (e.g. 26h, 2d; default 26h)");
  command->add_option("--crit-age", options->crit_age,
                      "CRITICAL when a series' newest snapshot is older than this (default 50h)");
  command->add_flag("--json", options->json, "print the report as JSON");
  command->add_option("--html", options->html, "also write the report as one self-contained HTML page to FILE");
  command->add_flag("--plugin", options->plugin,
                    "monitoring-plugin output: one line with performance data; exit 0 OK, 1 WARNING, 2 CRITICAL, "
                    "3 UNKNOWN");
  command->add_option("--now", options->now, "reference time (default: the current time; UTC), for tests");
  command->callback([options] {
    if (!options->plugin) {
      run_status(*options);
      return;
    }
    // The plugin convention: whatever goes wrong is UNKNOWN (3), on one line.
    try {
      run_status(*options);
    } catch (const std::exception& e) {
      std::string message = e.what();
      for (char& c : message) {
        if (c == '\n' || c == '\r' || c == '|') c = ' ';
      }
      std::printf("CERTVAULT UNKNOWN - %s\n", message.c_str());
      command_exit_code() = 3;
    }
  });
}

}  // namespace certvault::cli
