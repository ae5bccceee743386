#include <fmt/format.h>

#include <cstdio>

#include "certvault/base/os_file.h"
#include "certvault/base/quoted_text.h"
#include "certvault/operations/export_destination.h"
#include "cli_support.h"
#include "commands.h"
#include "number_option.h"
#include "progress_line.h"
#include "prune_report.h"

namespace certvault::cli {

nlohmann::json prune_report_json(const PruneReport& r) {
  return {{"dry_run", r.dry_run},
          {"snapshots", r.snapshots},
          {"live_recipes", r.live_recipes},
          {"live_chunks", r.live_chunks},
          {"packs_before", r.packs_before},
          {"pack_bytes_before", r.pack_bytes_before},
          {"packs_after", r.packs_after},
          {"pack_bytes_after", r.pack_bytes_after},
          {"packs_deleted", r.packs_deleted},
          {"packs_repacked", r.packs_repacked},
          {"packs_written", r.packs_written},
          {"chunks_removed", r.chunks_removed},
          {"recipes_removed", r.recipes_removed},
          {"dictionaries_removed", r.dictionaries_removed},
          {"orphan_packs_removed", r.orphan_packs_removed},
          {"orphan_manifests_removed", r.orphan_manifests_removed},
          {"orphan_recipes_removed", r.orphan_recipes_removed},
          {"temporaries_removed", r.temporaries_removed},
          {"bytes_freed", r.bytes_freed}};
}

void print_prune_report(const PruneReport& r) {
  const char* verb = r.dry_run ? "would " : "";
  std::string out =
      fmt::format("{} snapshots need {} recipes and {} chunks\n", r.snapshots, r.live_recipes, r.live_chunks);
  out += fmt::format("{}delete {} packs with no live chunk, repack {} packs into {}, drop {} unused chunks\n", verb,
                     r.packs_deleted, r.packs_repacked, r.packs_written, r.chunks_removed);
  out += fmt::format(
      "{}remove {} unused recipes, {} leftover packs, {} leftover recipe objects, {} leftover "
      "manifests\n",
      verb, r.recipes_removed, r.orphan_packs_removed, r.orphan_recipes_removed, r.orphan_manifests_removed);
  out += fmt::format("packs: {} ({}) -> {} ({}); {}\n", r.packs_before, format_bytes(r.pack_bytes_before),
                     r.packs_after, format_bytes(r.pack_bytes_after),
                     r.dry_run ? fmt::format("would free about {}", format_bytes(r.bytes_freed))
                               : fmt::format("freed {}", format_bytes(r.bytes_freed)));
  std::fwrite(out.data(), 1, out.size(), stdout);
}

namespace {

struct PruneCommandOptions {
  std::string repo;
  double max_unused = 10;
  bool dry_run = false, json = false;
};

// Returns the message of its event (event_log.h).
std::string run_prune(const PruneCommandOptions& options) {
  auto repository = open_repository(options.repo, LockMode::kExclusive);
  PruneOptions prune;
  prune.max_unused_percent = options.max_unused;
  prune.dry_run = options.dry_run;
  if (!options.json) prune.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const auto report = prune_repository(*repository, prune);
  // Temporaries of exports that were killed (REPO/exports/ names them); --dry-run only lists none.
  std::vector<std::string> abandoned;
  if (!options.dry_run) {
    for (const auto& path : remove_abandoned_exports(repository->root())) {
      abandoned.push_back(os::display(path));
      if (!options.json) {
        std::printf("removed the temporary of an export that did not finish: %s\n",
                    quoted_if_needed(os::display(path)).c_str());
      }
    }
  }
  if (options.json) {
    auto json = prune_report_json(report);
    json["abandoned_exports_removed"] = abandoned;
    print_json(json);
  } else {
    print_prune_report(report);
  }
  return fmt::format("certvault prune{} of {}: {} snapshots kept, {} packs deleted, {} repacked, {} freed",
                     options.dry_run ? " --dry-run" : "", options.repo, report.snapshots, report.packs_deleted,
                     report.packs_repacked, format_bytes(report.bytes_freed));
}

}  // namespace

void register_prune_command(CLI::App& app) {
  auto* command = app.add_subcommand("prune", "delete data no snapshot needs and repack partly used packs");
  auto options = std::make_shared<PruneCommandOptions>();
  add_repo_option(*command, options->repo);
  command
      ->add_option("--max-unused", options->max_unused,
                   "repack a pack when more than this percentage of it is unused (default 10)")
      ->check(finite_number_in(0, 100, "percent"));
  command->add_flag("--dry-run", options->dry_run, "report what would be freed; change nothing");
  command->add_flag("--json", options->json, "print the report as JSON");
  command->callback([options] {
    run_with_event(event_log::Command::kPrune, "prune of " + options->repo, [&] { return run_prune(*options); });
  });
}

}  // namespace certvault::cli
