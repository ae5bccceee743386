#include <cstdio>

#include "certvault/base/os_file.h"
#include "certvault/operations/repository_unlock.h"
#include "certvault/repository/repair.h"
#include "cli_support.h"
#include "commands.h"
#include "exit_codes.h"

namespace certvault::cli {

void register_repair_command(CLI::App& app) {
  auto* command = app.add_subcommand("repair", "rebuild damaged repository metadata");
  command->require_subcommand(1);
  auto* catalog_command =
      command->add_subcommand("catalog", "rebuild the catalog from the packs, recipes and snapshot manifests");
  auto repo = std::make_shared<std::string>();
  add_repo_option(*catalog_command, *repo);
  catalog_command->callback([repo] {
    const auto report = repair_catalog(repository_location(*repo), credentials());
    if (!report.old_catalog_moved_to.empty()) {
      std::printf("old catalog kept as %s\n", report.old_catalog_moved_to.c_str());
    }
    std::printf("rebuilt catalog: %u packs, %llu chunks, %u recipes, %u snapshots\n", report.packs,
                static_cast<unsigned long long>(report.chunks), report.recipes, report.snapshots);
    for (const auto& problem : report.problems) std::fprintf(stderr, "certvault: problem: %s\n", problem.c_str());
    if (!report.problems.empty()) command_exit_code() = kExitIntegrity;
  });
}

void register_unlock_command(CLI::App& app) {
  auto* command = app.add_subcommand("unlock", "remove a stale lock record left by a process that died");
  auto repo = std::make_shared<std::string>();
  add_repo_option(*command, *repo);
  command->callback([repo] {
    const auto record = unlock_repository(repository_location(*repo), warn);
    if (record) {
      std::printf("removed stale lock record of pid %ld on %s\n", record->pid, record->host.c_str());
    } else {
      std::printf("repository was not locked\n");
    }
  });
}

}  // namespace certvault::cli
