#include <cstdio>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/quoted_text.h"
#include "certvault/operations/ca_export.h"
#include "certvault/operations/export_destination.h"
#include "certvault/operations/snapshot_export.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"

namespace certvault::cli {
namespace {

struct ExportCommandOptions {
  std::string repo, snapshot, target, tar, layout = "certutil";
  bool force = false;
  bool json = false;
};

nlohmann::json report_json(const CaExportReport& report) {
  nlohmann::json chain = nlohmann::json::array();
  for (const auto& set : report.chain.sets) {
    chain.push_back({{"snapshot", set.snapshot.id},
                     {"kind", set.snapshot.kind},
                     {"gen_low", set.generations.low},
                     {"gen_high", set.generations.high}});
  }
  nlohmann::json files = nlohmann::json::array();
  for (const auto& file : report.files) {
    nlohmann::json entry = {{"path", file.path}, {"size", file.size}, {"xxh128", file.xxh128}, {"origin", file.origin}};
    if (!file.snapshot_id.empty()) entry["snapshot"] = file.snapshot_id;
    if (file.generation) entry["generation"] = *file.generation;
    files.push_back(entry);
  }
  nlohmann::json map = nlohmann::json::array();
  for (const auto& entry : report.chain.full().snapshot.restore_map) {
    map.push_back({{"type_code", entry.type_code}, {"path", entry.path}});
  }
  return {{"snapshot", report.chain.target.id},
          {"kind", report.chain.target.kind},
          {"layout", layout_name(report.layout)},
          {"destination", report.destination},
          {"gen_low", report.chain.generations.low},
          {"gen_high", report.chain.generations.high},
          {"chain", chain},
          {"restore_map", map},
          {"files", files},
          {"bytes", report.bytes},
          {"seconds", report.seconds}};
}

void run_export(const ExportCommandOptions& options) {
  if (options.target.empty() == options.tar.empty()) {
    throw Error(ErrorKind::kUsage, "give exactly one of --to DIR and --tar FILE|-");
  }
  if (options.json && options.tar == "-") {
    throw Error(ErrorKind::kUsage, "--json and --tar - both want standard output; write the tar to a file");
  }
  auto repository = open_repository(options.repo, LockMode::kShared);
  for (const auto& path : remove_abandoned_exports(repository->root())) {
    warn("removed the temporary of an export that did not finish: " + quoted_if_needed(os::display(path)));
  }
  const std::string id = repository->resolve(options.snapshot);
  const auto snapshot = repository->catalog().snapshot(id);
  if (snapshot && snapshot->kind == "folder") {
    const auto result =
        export_snapshot(*repository, id, {os::path_from_utf8(options.target), options.force}, options.tar);
    if (options.json) {
      print_json({{"snapshot", id},
                  {"files", result.files},
                  {"bytes", result.bytes},
                  {"seconds", result.seconds},
                  {"traffic", traffic_json(repository->objects())}});
    } else if (options.tar != "-") {
      std::printf("exported snapshot %s: %u files, %s to %s in %.2f s\n", id.substr(0, 12).c_str(), result.files,
                  format_bytes(result.bytes).c_str(), (options.tar.empty() ? options.target : options.tar).c_str(),
                  result.seconds);
    }
    return;
  }
  CaExportOptions ca;
  ca.folder = os::path_from_utf8(options.target);
  ca.tar = options.tar;
  ca.force = options.force;
  ca.layout = options.layout == "sets" ? ExportLayout::kSets : ExportLayout::kCertutil;
  const auto report = export_ca_snapshot(*repository, id, ca);
  if (options.json) {
    auto json = report_json(report);
    json["traffic"] = traffic_json(repository->objects());
    print_json(json);
  } else if (options.tar == "-") {
    std::fprintf(stderr, "exported snapshot %s (%s layout, generations 0x%X-0x%X): %zu files, %s in %.2f s\n",
                 id.substr(0, 12).c_str(), layout_name(report.layout), report.chain.generations.low,
                 report.chain.generations.high, report.files.size(), format_bytes(report.bytes).c_str(),
                 report.seconds);
  } else {
    std::printf(
        "exported snapshot %s (%s layout, %zu backup sets, generations 0x%X-0x%X): %zu files, %s to %s in "
        "%.2f s\n",
        id.substr(0, 12).c_str(), layout_name(report.layout), report.chain.sets.size(), report.chain.generations.low,
        report.chain.generations.high, report.files.size() + 1, format_bytes(report.bytes).c_str(),
        report.destination.c_str(), report.seconds);
  }
}

}  // namespace

void register_export_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "export", "rebuild a snapshot, verifying every byte: a CA backup as the folder certutil -backupDB writes");
  auto options = std::make_shared<ExportCommandOptions>();
  add_repo_option(*command, options->repo);
  command->add_option("snapshot", options->snapshot, "snapshot id, unique prefix, or 'latest'")->required();
  command->add_option("--to", options->target, "target folder (created if absent; must be empty)");
  command->add_option("--tar", options->tar, "write a tar archive to this file, or '-' for standard output");
  command->add_option("--layout", options->layout, "certutil (one folder, all logs) or sets (a folder per backup set)")
      ->check(CLI::IsMember({"certutil", "sets"}));
  command->add_flag("--force", options->force, "replace a non-empty target folder (or an existing tar file)");
  command->add_flag("--json", options->json, "print the manifest as JSON");
  command->callback([options] { run_export(*options); });
}

}  // namespace certvault::cli
