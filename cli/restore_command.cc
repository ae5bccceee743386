#include <cstdio>

#include "certvault/base/os_file.h"
#include "certvault/operations/api_restore.h"
#include "certvault/operations/ca_service.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"

namespace certvault::cli {
namespace {

struct RestoreCommandOptions {
  std::string repo, snapshot, server, library, casim;
  std::vector<std::string> relocations;
  bool start = false;
  bool roll_forward = false;
  bool point_in_time = false;
  bool json = false;
};

void run_restore(const RestoreCommandOptions& options) {
  // Before the repository or the CA is touched: a --start that cannot work is refused first.
  if (options.start) check_ca_service_startable(options.server, os::path_from_utf8(options.casim));
  auto repository = open_repository(options.repo, LockMode::kShared);
  const std::string id = repository->resolve(options.snapshot);
  ApiRestoreOptions api;
  api.server = options.server;
  api.library = os::path_from_utf8(options.library);
  if (options.roll_forward) api.surviving_logs = SurvivingLogs::kRollForward;
  if (options.point_in_time) api.surviving_logs = SurvivingLogs::kPointInTime;
  for (const auto& text : options.relocations) api.relocations.push_back(parse_relocation(text));
  if (!options.json) api.on_step = [](const std::string& line) { std::fprintf(stderr, "restore: %s\n", line.c_str()); };
  const auto result = restore_through_api(*repository, id, api);
  std::string started;
  if (options.start) started = start_ca_service(options.server, os::path_from_utf8(options.casim));
  if (options.json) {
    nlohmann::json sets = nlohmann::json::array();
    for (const auto& set : result.chain.sets) {
      sets.push_back({{"snapshot", set.snapshot.id},
                      {"kind", set.snapshot.kind},
                      {"gen_low", set.generations.low},
                      {"gen_high", set.generations.high}});
    }
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : result.files) files.push_back({{"path", file.destination}, {"size", file.size}});
    print_json({{"snapshot", id},
                {"server", options.server},
                {"sets", sets},
                {"files", files},
                {"bytes", result.bytes},
                {"database", result.database_path},
                {"log_folder", result.log_folder},
                {"replaced_folder", result.replaced_folder.string()},
                {"rolled_forward", result.rolled_forward},
                {"newer_logs", result.newer_logs.low == 0 ? nlohmann::json(nullptr)
                                                          : nlohmann::json{{"gen_low", result.newer_logs.low},
                                                                           {"gen_high", result.newer_logs.high}}},
                {"service_was_online", result.service_was_online},
                {"started", options.start},
                {"seconds", result.seconds}});
    return;
  }
  std::printf("restored snapshot %s (%zu backup sets, generations 0x%X-0x%X): %zu files, %s in %.2f s\n",
              id.substr(0, 12).c_str(), result.chain.sets.size(), result.chain.generations.low,
              result.chain.generations.high, result.files.size(), format_bytes(result.bytes).c_str(), result.seconds);
  if (!result.replaced_folder.empty()) {
    std::printf("the previous database, logs and checkpoint are in %s\n", result.replaced_folder.string().c_str());
  }
  if (result.rolled_forward) {
    std::printf("kept the newer logs 0x%X-0x%X in %s: recovery replays them after the snapshot (roll-forward)\n",
                result.newer_logs.low, result.newer_logs.high, result.log_folder.c_str());
  } else if (result.newer_logs.low != 0 || result.newer_checkpoint) {
    std::printf("point-in-time restore: the newer logs were moved aside, recovery stops at generation 0x%X\n",
                result.chain.generations.high);
  }
  if (options.start) {
    std::printf("%s", started.c_str());
  } else {
    std::printf(
        "start the CA service now: it replays the logs (recovery) before it serves; then take a full "
        "backup\n");
  }
}

}  // namespace

void register_restore_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("restore", "put a CA snapshot back through the Certadm restore API (the CA is stopped)");
  auto options = std::make_shared<RestoreCommandOptions>();
  add_repo_option(*command, options->repo);
  command->add_option("snapshot", options->snapshot, "snapshot id, unique prefix, or 'latest'")->required();
  command->add_option("--server", options->server, kServerOptionHelp)->required();
  command->add_option("--library", options->library, "Certadm library (default: certadm.dll / the sim beside us)");
  command->add_option("--relocate", options->relocations,
                      "OLD=NEW: restore paths starting with OLD under NEW instead (repeatable)");
  auto* roll_forward = command->add_flag(
      "--roll-forward", options->roll_forward,
      "keep the CA's logs newer than the snapshot so recovery replays them (refused when generations are missing)");
  command
      ->add_flag("--point-in-time", options->point_in_time,
                 "move the CA's logs newer than the snapshot aside: the CA comes back as of the snapshot")
      ->excludes(roll_forward);
  command->add_flag("--start", options->start, "start the CA afterwards (sim: casim start)");
  command->add_option("--casim", options->casim, "casim program for --start (default: beside certvault)");
  command->add_flag("--json", options->json, "print a JSON summary");
  command->callback([options] { run_restore(*options); });
}

}  // namespace certvault::cli
