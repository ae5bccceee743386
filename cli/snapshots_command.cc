#include <fmt/format.h>

#include <cstdio>

#include "certvault/operations/retention.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"
#include "snapshot_json.h"

namespace certvault::cli {

void register_snapshots_command(CLI::App& app) {
  auto* command = app.add_subcommand("snapshots", "list the snapshots in a repository");
  struct Options {
    std::string repo, server, source, type, tag, since;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_option("--server", options->server, "only snapshots of this server (as given to backup --server)");
  command->add_option("--source", options->source,
                      "only snapshots of this series (a server name, a folder as given to backup, or a --source name)");
  command->add_option("--type", options->type, "only this type")
      ->check(CLI::IsMember({"full", "incremental", "folder"}));
  command->add_option("--tag", options->tag, "only snapshots with this tag");
  command->add_option("--since", options->since,
                      "only snapshots taken at or after this UTC time: 2026-11-24, 2026-11-24T10:30Z, or 7d, 12h, 1m");
  command->add_flag("--json", options->json, "print JSON");
  command->callback([options] {
    catalog::SnapshotFilter filter;
    if (!options->server.empty()) filter.server = options->server;
    if (!options->source.empty()) filter.source = options->source;
    if (!options->type.empty()) filter.kind = options->type;
    if (!options->tag.empty()) filter.tag = options->tag;
    // Parsed before the repository opens, so a typo fails fast and touches nothing.
    if (!options->since.empty()) filter.since_unix = retention::parse_time_spec(options->since, unix_now());
    auto repository = open_repository(options->repo, LockMode::kShared);
    const auto snapshots = repository->catalog().snapshots(filter);
    if (options->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : snapshots) {
        auto element = snapshot_json(s);
        // The repository's, repeated per element: the output stays an array (scripts index it).
        element["encrypted"] = repository->encrypted();
        list.push_back(std::move(element));
      }
      print_json(list);
      return;
    }
    warn_if_not_encrypted(*repository);
    std::string out = fmt::format("{:<12}  {:<20}  {:<11}  {:<17}  {:>10}  {:>10}  {}\n", "id", "time (UTC)", "type",
                                  "log generations", "size", "added", "server/CA or folder");
    for (const auto& s : snapshots) {
      out += fmt::format("{:<12}  {:<20}  {:<11}  {:<17}  {:>10}  {:>10}  {}\n", s.id.substr(0, 12),
                         format_utc(s.created_unix), s.kind, log_generations(s), format_bytes(s.logical_size),
                         format_bytes(s.added_size), origin(s));
    }
    out += fmt::format("{} snapshot{}\n", snapshots.size(), snapshots.size() == 1 ? "" : "s");
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace certvault::cli
