#include <fmt/format.h>

#include <cstdio>

#include "certvault/base/error.h"
#include "certvault/repository/check.h"
#include "cli_support.h"
#include "commands.h"
#include "exit_codes.h"
#include "number_option.h"
#include "progress_line.h"

namespace certvault::cli {

void register_check_command(CLI::App& app) {
  auto* command = app.add_subcommand("check", "verify that every snapshot in the repository can be restored");
  struct Options {
    std::string repo;
    bool read_data = false, json = false, fix_permissions = false;
    double subset = 0;
  };
  auto options = std::make_shared<Options>();
  add_repo_option(*command, options->repo);
  auto* read_data = command->add_flag("--read-data", options->read_data,
                                      "also read, decompress and verify every chunk and every file's digest");
  command
      ->add_option("--read-data-subset", options->subset,
                   "like --read-data for a random PERCENT of the packs and files")
      ->check(finite_number_in(0, 100, "percent"))
      ->excludes(read_data);
  command->add_flag("--json", options->json, "print the report as JSON");
  command->add_flag("--fix-permissions", options->fix_permissions,
                    "make every file of the repository 0600 and every folder 0700 (POSIX) instead of warning");
  command->callback([options] {
    std::unique_ptr<Repository> repository;
    try {
      repository = open_repository(options->repo, LockMode::kShared);
    } catch (const catalog::CatalogError& e) {
      // A catalog too damaged to answer its first queries is check's finding, not a tool failure;
      // a busy one or one newer than this build is not damaged.
      if (e.kind() == ErrorKind::kLocked || e.kind() == ErrorKind::kRefused) throw;
      throw Error(
          ErrorKind::kIntegrity,
          fmt::format("{}; rebuild the catalog with `certvault repair catalog --repo {}`", e.what(), options->repo));
    }
    CheckOptions check;
    check.read_data = options->read_data;
    check.read_data_subset_percent = options->subset;
    check.fix_permissions = options->fix_permissions;
    if (!options->json) check.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    // A run that reads the data is a verification: its outcome is recorded for `certvault status`.
    const bool records = options->read_data || options->subset > 0;
    const std::string command =
        options->read_data ? "check --read-data" : fmt::format("check --read-data-subset {}", options->subset);
    std::vector<std::string> covered;
    if (records) {
      try {
        for (const auto& snapshot : repository->catalog().snapshots()) covered.push_back(snapshot.id);
      } catch (const Error&) {
        // A catalog that cannot list its snapshots is check's finding below; the record names none.
      }
    }
    CheckReport report;
    try {
      report = check_repository(*repository, check);
    } catch (const Error& e) {
      if (records) record_run_outcome(*repository, command, covered, e.what(), 1);
      throw;
    }
    if (records) {
      record_run_outcome(*repository, command, std::move(covered), report.ok() ? "" : report.problems.front(),
                         report.problems.size());
    }
    if (!report.ok()) command_exit_code() = kExitIntegrity;
    if (options->json) {
      print_json({{"ok", report.ok()},
                  {"problems", report.problems},
                  {"warnings", report.warnings},
                  {"orphan_packs", report.orphan_packs},
                  {"snapshots", report.snapshots},
                  {"files", report.files},
                  {"recipes", report.recipes},
                  {"packs", report.packs},
                  {"chunks", report.chunks},
                  {"packs_read", report.packs_read},
                  {"chunks_read", report.chunks_read},
                  {"bytes_read", report.bytes_read},
                  {"files_verified", report.files_verified},
                  {"permissions_fixed", report.permissions_fixed}});
      return;
    }
    for (const auto& line : report.problems) std::fprintf(stderr, "certvault: problem: %s\n", line.c_str());
    for (const auto& line : report.warnings) std::fprintf(stderr, "certvault: warning: %s\n", line.c_str());
    std::string out = fmt::format("checked {} snapshots, {} files, {} recipes, {} packs, {} chunks\n", report.snapshots,
                                  report.files, report.recipes, report.packs, report.chunks);
    if (options->read_data || options->subset > 0) {
      out += fmt::format("read {} packs ({}), {} chunks verified, {} distinct files rebuilt and digests compared\n",
                         report.packs_read, format_bytes(report.bytes_read), report.chunks_read, report.files_verified);
    }
    if (options->fix_permissions) {
      out += fmt::format("made {} files and folders private (0600/0700)\n", report.permissions_fixed);
    }
    out += report.ok()
               ? fmt::format("no problems found{}\n",
                             report.warnings.empty() ? "" : fmt::format(" ({} warnings)", report.warnings.size()))
               : fmt::format("{} problems found\n", report.problems.size());
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace certvault::cli
