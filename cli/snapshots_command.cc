#include <fmt/format.h>

#include <cstdio>

#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"

namespace certvault::cli {

namespace {
std::string generations(const catalog::SnapshotRecord& s) {
  if (!s.gen_low || !s.gen_high) return "-";
  return fmt::format("0x{:X}-0x{:X}", *s.gen_low, *s.gen_high);
}
}  // namespace

void register_snapshots_command(CLI::App& app) {
  auto* command = app.add_subcommand("snapshots", "list the snapshots in a repository");
  struct Options {
    std::string repo;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  command->add_flag("--json", options->json, "print JSON");
  command->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kShared);
    const auto snapshots = repository->catalog().snapshots();
    if (options->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : snapshots) {
        list.push_back({{"id", s.id},
                        {"time", format_utc(s.created_unix)},
                        {"time_unix", s.created_unix},
                        {"kind", s.kind},
                        {"source", s.source},
                        {"server", s.server},
                        {"ca_name", s.ca_name},
                        {"tags", s.tags},
                        {"parent", s.parent ? nlohmann::json(*s.parent) : nlohmann::json(nullptr)},
                        {"base_full", s.base_full ? nlohmann::json(*s.base_full) : nlohmann::json(nullptr)},
                        {"gen_low", s.gen_low ? nlohmann::json(*s.gen_low) : nlohmann::json(nullptr)},
                        {"gen_high", s.gen_high ? nlohmann::json(*s.gen_high) : nlohmann::json(nullptr)},
                        {"logical_bytes", s.logical_size},
                        {"added_bytes", s.added_size}});
      }
      print_json(list);
      return;
    }
    std::printf("%-12s  %-20s  %-11s  %-17s  %10s  %10s  %s\n", "id", "time (UTC)", "type", "log generations", "size",
                "added", "source");
    for (const auto& s : snapshots) {
      const std::string source = s.ca_name.empty() ? s.source : s.ca_name + " @ " + s.source;
      std::printf("%-12s  %-20s  %-11s  %-17s  %10s  %10s  %s\n", s.id.substr(0, 12).c_str(),
                  format_utc(s.created_unix).c_str(), s.kind.c_str(), generations(s).c_str(),
                  format_bytes(s.logical_size).c_str(), format_bytes(s.added_size).c_str(), source.c_str());
    }
    std::printf("%zu snapshot%s\n", snapshots.size(), snapshots.size() == 1 ? "" : "s");
  });
}

}  // namespace certvault::cli
