#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "certvault/operations/apply_forget.h"
#include "certvault/operations/retention.h"
#include "cli_support.h"
#include "commands.h"
#include "number_option.h"
#include "progress_line.h"
#include "prune_report.h"
#include "snapshot_json.h"

namespace certvault::cli {

namespace {

struct ForgetOptions {
  std::string repo;
  retention::Policy policy;
  std::string keep_within, now, source, group_by = "source";
  std::vector<std::string> ids;
  bool with_chain = false, dry_run = false, prune = false, json = false;
};

std::string plan_text(const retention::Plan& plan, bool dry_run) {
  std::string out;
  for (const auto& group : plan.groups) {
    size_t kept = 0;
    for (const auto& d : group.decisions) kept += d.keep ? 1 : 0;
    out += fmt::format("{}: keep {}, remove {}\n", group.name, kept, group.decisions.size() - kept);
    for (const auto& d : group.decisions) {
      const auto& s = *d.snapshot;
      const std::string why =
          d.reasons.empty() ? std::string("no rule keeps it") : fmt::format("{}", fmt::join(d.reasons, ", "));
      out += fmt::format("  {:<6}  {}  {}  {:<11}  {}\n", d.keep ? "keep" : "remove", s.id.substr(0, 12),
                         format_utc(s.created_unix), s.kind, why);
    }
  }
  out += fmt::format("{} {} snapshot{}, keep {}\n", dry_run ? "would remove" : "removed", plan.removed(),
                     plan.removed() == 1 ? "" : "s", plan.kept());
  return out;
}

nlohmann::json plan_json(const retention::Plan& plan) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& group : plan.groups) {
    nlohmann::json decisions = nlohmann::json::array();
    for (const auto& d : group.decisions) {
      auto entry = snapshot_json(*d.snapshot);
      entry["keep"] = d.keep;
      entry["reasons"] = d.reasons;
      decisions.push_back(std::move(entry));
    }
    groups.push_back({{"group", group.name}, {"snapshots", decisions}});
  }
  return groups;
}

void run_forget(const ForgetOptions& options) {
  ForgetRequest request;
  request.policy = options.policy;
  if (!options.keep_within.empty()) {
    request.policy.keep_within = retention::parse_duration(options.keep_within);
    request.policy.keep_within_text = options.keep_within;
  }
  request.ids = options.ids;
  request.with_chain = options.with_chain;
  request.dry_run = options.dry_run;
  request.prune = options.prune;
  if (!options.source.empty()) request.source = options.source;
  request.group_by = retention::parse_group_by(options.group_by);
  request.now = options.now.empty() ? unix_now() : retention::parse_time_spec(options.now, unix_now());
  if (!options.json) {
    // The plan first: prune may take a while, and the plan is what the operator checks.
    request.on_planned = [&options](const retention::Plan& plan) {
      const std::string out = plan_text(plan, options.dry_run);
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    };
  }
  check_forget_request(request);  // before the repository is opened: a bad command line touches nothing
  auto repository = open_repository(options.repo, forget_lock_mode(request));
  const auto result = apply_forget(*repository, request);
  if (!result.warning.empty() && !options.json) warn(result.warning);
  if (options.json) {
    nlohmann::json json = {{"dry_run", options.dry_run},
                           {"now", format_utc(request.now)},
                           {"kept", result.plan.kept()},
                           {"removed", result.plan.removed()},
                           {"groups", plan_json(result.plan)}};
    json["manifest_only"] = result.manifest_only_ids;
    json["warnings"] = result.warning.empty() ? nlohmann::json::array() : nlohmann::json::array({result.warning});
    if (result.prune) json["prune"] = prune_report_json(*result.prune);
    print_json(json);
  } else {
    for (const auto& id : result.manifest_only_ids) {
      std::printf("%s snapshot %s, which only its manifest object still named (not in the catalog)\n",
                  options.dry_run ? "would forget" : "forgot", id.c_str());
    }
    if (result.prune) print_prune_report(*result.prune);
  }
}

}  // namespace

void register_forget_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "forget", "remove snapshots by retention policy (--keep-*) or by id; chains of incrementals stay restorable");
  auto options = std::make_shared<ForgetOptions>();
  add_repo_option(*command, options->repo);
  auto& policy = options->policy;
  command->add_option("--keep-last", policy.keep_last, "keep the N newest snapshots of each server/folder")
      ->check(integer_in(0, 1000000, "snapshots"));
  command->add_option("--keep-hourly", policy.keep_hourly, "keep the newest snapshot of each of the last N hours")
      ->check(integer_in(0, 1000000, "snapshots"));
  command->add_option("--keep-daily", policy.keep_daily, "... of each of the last N days (UTC)")
      ->check(integer_in(0, 1000000, "snapshots"));
  command->add_option("--keep-weekly", policy.keep_weekly, "... of each of the last N ISO weeks")
      ->check(integer_in(0, 1000000, "snapshots"));
  command->add_option("--keep-monthly", policy.keep_monthly, "... of each of the last N months")
      ->check(integer_in(0, 1000000, "snapshots"));
  command->add_option("--keep-yearly", policy.keep_yearly, "... of each of the last N years")
      ->check(integer_in(0, 1000000, "snapshots"));
  command->add_option("--keep-within", options->keep_within,
                      "keep every snapshot newer than this duration before now, e.g. 1y2m3d4h, 30d");
  command->add_option("--keep-tag", policy.keep_tags, "keep every snapshot with this tag (repeatable)");
  command->add_option("ids", options->ids, "snapshot ids or unique prefixes to forget (instead of --keep-*)");
  command->add_flag("--with-chain", options->with_chain,
                    "with ids: also forget the incrementals that need a named snapshot");
  command->add_flag("--dry-run,-n", options->dry_run, "show what would be kept and removed; change nothing");
  command->add_flag("--prune", options->prune, "run prune afterwards to free the space");
  command->add_option("--source", options->source,
                      "only snapshots of this series (a server name, a folder as given to backup, or a --source name)");
  command
      ->add_option("--group-by", options->group_by,
                   "apply the rules per source (the series: server or folder), per server, per tag set, or to all "
                   "snapshots together (none)")
      ->capture_default_str()
      ->check(CLI::IsMember({"source", "server", "tag", "none"}));
  command->add_option("--now", options->now, "reference time for the rules (default: the current time; UTC)");
  command->add_flag("--json", options->json, "print JSON");
  command->callback([options] { run_forget(*options); });
}

}  // namespace certvault::cli
