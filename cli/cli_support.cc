#include "cli_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "certvault/base/os_file.h"
#include "certvault/repository/outcome_log.h"
#include "commands.h"

namespace certvault::cli {

void warn(const std::string& message) { std::fprintf(stderr, "certvault: warning: %s\n", message.c_str()); }

std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode) {
  return Repository::open(os::path_from_utf8(path), mode, warn);  // UTF-8, whatever the Windows code page
}

void run_with_event(event_log::Command command, const std::string& what, const std::function<std::string()>& run) {
  std::string message;
  try {
    message = run();
  } catch (const std::exception& e) {
    event_log::report_event(event_log::Level::kFailure, command, "certvault " + what + " failed: " + e.what());
    throw;
  }
  const int code = command_exit_code();
  event_log::report_event(code == 0 ? event_log::Level::kSuccess : event_log::Level::kWarning, command,
                          code == 0 ? message : fmt::format("{} (exit code {})", message, code));
}

void record_run_outcome(Repository& repository, const std::string& command, std::vector<std::string> snapshots,
                        const std::string& error, uint64_t problems) {
  OutcomeRecord record;
  record.command = command;
  record.time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  record.snapshots = std::move(snapshots);
  record.result = error.empty() ? "ok" : "failed";
  record.error = error;
  record.problems = error.empty() ? 0 : std::max<uint64_t>(problems, 1);
  try {
    record_outcome(repository, record);
  } catch (const Error& e) {
    warn(
        fmt::format("the outcome of this run could not be recorded in the repository (certvault status will not "
                    "see it): {}",
                    e.what()));
  }
}

void print_json(const nlohmann::json& value) { std::printf("%s\n", value.dump(2).c_str()); }

CLI::Option* add_repo_option(CLI::App& command, std::string& repo) {
  return command.add_option("--repo,-r", repo, "repository folder")->required()->envname("CERTVAULT_REPO");
}

}  // namespace certvault::cli
