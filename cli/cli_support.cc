#include "cli_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/outcome_log.h"
#include "commands.h"
#include "console.h"

namespace certvault::cli {

void warn(const std::string& message) { std::fprintf(stderr, "certvault: warning: %s\n", message.c_str()); }

namespace {
struct CredentialOptions {
  std::string password_file;
  std::string key_file;
};
CredentialOptions& credential_options() {
  static CredentialOptions options;
  return options;
}
}  // namespace

Credentials credentials() {
  const auto& options = credential_options();
  Credentials result = Credentials::from_environment();  // CERTVAULT_PASSWORD and the key file's variable
  if (!options.password_file.empty()) {
    result.passphrase = Credentials::read_passphrase_file(os::path_from_utf8(options.password_file));
    result.passphrase_origin = "--password-file " + options.password_file;
  }
  if (!options.key_file.empty()) result.key_file = os::path_from_utf8(options.key_file);
  if (!result.passphrase && !result.key_file && console::stdin_is_terminal()) {
    result.prompt = [] { return console::read_secret("certvault: passphrase: "); };
  }
  return result;
}

Credentials new_repository_credentials(const std::string& missing) {
  auto given = credentials();
  if (given.passphrase || given.key_file) return given;
  if (!given.prompt) throw Error(ErrorKind::kUsage, missing);
  const auto first = console::read_secret("certvault: new passphrase: ");
  if (console::read_secret("certvault: the same passphrase again: ") != first) {
    throw Error(ErrorKind::kUsage, "the two passphrases differ; nothing was changed");
  }
  given.passphrase = first;
  given.passphrase_origin = "the passphrase typed";
  given.prompt = nullptr;
  return given;
}

namespace {
RemoteSettings& remote_settings() {
  static RemoteSettings settings;
  return settings;
}
}  // namespace

RepositoryLocation repository_location(const std::string& spec) {
  // UTF-8, whatever the Windows code page.
  return RepositoryLocation::parse(spec, remote_settings());
}

std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode) {
  return Repository::open(repository_location(path), mode, warn, credentials());
}

void add_remote_options(CLI::App& command) {
  auto& settings = remote_settings();
  command.add_option("--region", settings.region,
                     "S3 region to sign requests for (default: AWS_DEFAULT_REGION, else AWS_REGION, else us-east-1)");
  command.add_option("--ca-bundle", settings.ca_bundle,
                     "PEM file of the CA certificates that verify the S3 service (a private CA; default: "
                     "AWS_CA_BUNDLE, else the system's)");
}

void warn_if_not_encrypted(const Repository& repository) {
  if (repository.encrypted()) return;
  // Not "warning:": check's warnings are findings about the repository's state, counted in its summary.
  std::fprintf(stderr,
               "certvault: repository %s is NOT encrypted: anyone who can read its files reads the CA's database\n",
               repository.display_name().c_str());
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

nlohmann::json traffic_json(const ObjectStore& objects) {
  const auto traffic = objects.traffic();
  return {{"requests", traffic.requests}, {"bytes_sent", traffic.bytes_sent}};
}

void print_json(const nlohmann::json& value) { std::printf("%s\n", value.dump(2).c_str()); }

CLI::Option* add_repo_option(CLI::App& command, std::string& repo) {
  auto& options = credential_options();
  command
      .add_option("--password-file", options.password_file,
                  "read the passphrase of an encrypted repository from this file's first line")
      ->envname("CERTVAULT_PASSWORD_FILE");
  command.add_option("--key-file", options.key_file, "open an encrypted repository with this key file")
      ->envname("CERTVAULT_KEY_FILE");
  add_remote_options(command);
  return command.add_option("--repo,-r", repo, "repository: a folder, or s3:https://HOST[:PORT]/BUCKET[/PREFIX]")
      ->required()
      ->envname("CERTVAULT_REPO");
}

}  // namespace certvault::cli
