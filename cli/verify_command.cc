#include <fmt/format.h>

#include <cstdio>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/operations/snapshot_verify.h"
#include "cli_support.h"
#include "commands.h"
#include "progress_line.h"

namespace certvault::cli {
namespace {

struct VerifyCommandOptions {
  std::string repo, snapshot, library, casim;
  bool chain_only = false;
  bool json = false;
};

// Returns the message of its event (event_log.h).
std::string run_verify(const VerifyCommandOptions& options) {
  auto repository = open_repository(options.repo, LockMode::kShared);
  const std::string id = repository->resolve(options.snapshot);
  VerifyOptions verify;
  verify.library = os::path_from_utf8(options.library);
  verify.casim = os::path_from_utf8(options.casim);
  verify.chain_only = options.chain_only;
  const std::string command = options.chain_only ? "verify --chain-only" : "verify";
  VerifyReport report;
  try {
    report = verify_snapshot(*repository, id, verify);
  } catch (const Error& e) {
    record_run_outcome(*repository, command, {id}, e.what(), 1);
    throw;
  }
  record_run_outcome(*repository, command, {id}, "", 0);
  const std::string event =
      fmt::format("certvault {} of snapshot {} in {}: restorable ({}), {} backup sets, {} files", command, id,
                  options.repo, report.method, report.chain.sets.size(), report.files);
  if (options.json) {
    print_json({{"snapshot", id},
                {"ok", true},
                {"method", report.method},
                {"why", report.why},
                {"sets", report.chain.sets.size()},
                {"gen_low", report.chain.generations.low},
                {"gen_high", report.chain.generations.high},
                {"files", report.files},
                {"bytes", report.bytes},
                {"recovery_output", report.recovery_output},
                {"seconds", report.seconds}});
    return event;
  }
  std::printf("snapshot %s is restorable (%s): %zu backup sets, generations 0x%X-0x%X, %llu files, %s, %.2f s\n",
              id.substr(0, 12).c_str(), report.method.c_str(), report.chain.sets.size(), report.chain.generations.low,
              report.chain.generations.high, static_cast<unsigned long long>(report.files),
              format_bytes(report.bytes).c_str(), report.seconds);
  std::printf("method: %s — %s\n", report.method.c_str(), report.why.c_str());
  if (!report.recovery_output.empty()) std::printf("%s", report.recovery_output.c_str());
  return event;
}

}  // namespace

void register_verify_command(CLI::App& app) {
  auto* command = app.add_subcommand("verify", "prove a CA snapshot restores, without touching the CA");
  auto options = std::make_shared<VerifyCommandOptions>();
  add_repo_option(*command, options->repo);
  command->add_option("snapshot", options->snapshot, "snapshot id, unique prefix, or 'latest'")->required();
  command->add_option("--library", options->library, "Certadm library for the scratch restore (sim)");
  command->add_option("--casim", options->casim, "casim program (default: beside certvault)");
  command->add_flag("--chain-only", options->chain_only, "only check the chain and every digest");
  command->add_flag("--json", options->json, "print a JSON report");
  command->callback([options] {
    run_with_event(event_log::Command::kVerify,
                   fmt::format("verify of snapshot {} in {}", options->snapshot, options->repo),
                   [&] { return run_verify(*options); });
  });
}

}  // namespace certvault::cli
