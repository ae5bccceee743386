#include <cstdio>

#include "certvault/archive/snapshot_export.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"

namespace certvault::cli {

void register_export_command(CLI::App& app) {
  auto* command = app.add_subcommand("export", "rebuild a snapshot's files in a folder, verifying every byte");
  struct Options {
    std::string repo, snapshot, target;
    bool force = false;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_option("snapshot", options->snapshot, "snapshot id, unique prefix, or 'latest'")->required();
  command->add_option("--to", options->target, "target folder (created if absent; must be empty)")->required();
  command->add_flag("--force", options->force, "write into a non-empty folder, replacing files");
  command->add_flag("--json", options->json, "print a JSON summary");
  command->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kShared);
    const std::string id = repository->resolve(options->snapshot);
    const auto result = export_snapshot(*repository, id, {options->target, options->force});
    if (options->json) {
      print_json({{"snapshot", id}, {"files", result.files}, {"bytes", result.bytes}, {"seconds", result.seconds}});
    } else {
      std::printf("exported snapshot %s: %u files, %s to %s in %.2f s\n", id.substr(0, 12).c_str(), result.files,
                  format_bytes(result.bytes).c_str(), options->target.c_str(), result.seconds);
    }
  });
}

}  // namespace certvault::cli
