// Small helpers shared by the command files: opening the repository with
// warnings on stderr, time formatting, JSON printing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "certvault/base/event_log.h"
#include "certvault/base/utc_time.h"
#include "certvault/repository/repository.h"

namespace certvault::cli {

// Opens with the credentials of the command line and environment (credentials()).
std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode);
// `spec` (a folder or s3:...) with the command line's --region and --ca-bundle.
RepositoryLocation repository_location(const std::string& spec);
// Adds --region and --ca-bundle (for s3: locations) to `command`; add_repo_option() does it too.
void add_remote_options(CLI::App& command);
// The passphrase or key file given: --password-file (or CERTVAULT_PASSWORD_FILE), else
// CERTVAULT_PASSWORD; --key-file (or CERTVAULT_KEY_FILE); else, on a terminal, a prompt
// without echo.
Credentials credentials();
// The credential of a repository's first key (init, migrate --encrypt): credentials(), where a
// prompt asks for a new passphrase twice. None given and no terminal: Error(kUsage) with `missing`.
Credentials new_repository_credentials(const std::string& missing);
// Says on stderr that a plaintext repository is not encrypted (text output only: --json stays
// pure JSON and carries an `encrypted` field instead).
void warn_if_not_encrypted(const Repository& repository);
// Times print as certvault::format_utc() writes them: "2026-11-24 15:48:39Z".
void print_json(const nlohmann::json& value);

// --json's "traffic": {"requests", "bytes_sent"} of a repository's object store since it was
// opened (S3: requests and request-body bytes, retries included; a folder: zeros).
nlohmann::json traffic_json(const ObjectStore& objects);
// Adds --repo (also from $CERTVAULT_REPO), required, --password-file / --key-file, --region and
// --ca-bundle.
CLI::Option* add_repo_option(CLI::App& command, std::string& repo);
void warn(const std::string& message);
// Runs a backup, verify or prune and writes its one Windows event (event_log.h; nothing on POSIX):
// success with the message `run` returns; a warning with it when `run` set a non-zero exit code
// without throwing (e.g. committed but log truncation failed); a failure naming `what` and the
// error when it throws (rethrown). An event log that cannot be written changes nothing.
void run_with_event(event_log::Command command, const std::string& what, const std::function<std::string()>& run);
// Records a verify/check run in the repository (outcome_log.h) for `certvault status`. A failure to
// record is a warning: the run's own result and exit code stand.
void record_run_outcome(Repository& repository, const std::string& command, std::vector<std::string> snapshots,
                        const std::string& error, uint64_t problems);

// The one description of --server (backup, restore). The user guide quotes it word for word
// (tests/backup/server_option_test.cc compares them); README, runbook and docs/windows.md agree.
inline constexpr const char* kServerOptionHelp =
    "the CA's computer, by its NetBIOS or DNS name (CA01 or ca01.contoso.com), not the config "
    "string HOST\\CA Name: the CA name comes from the API's answer. Simulated CA: its folder";

}  // namespace certvault::cli
