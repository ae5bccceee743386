// Small helpers shared by the command files: opening the repository with
// warnings on stderr, time formatting, JSON printing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "certvault/base/utc_time.h"
#include "certvault/repository/repository.h"

namespace certvault::cli {

// Opens with the credentials of the command line and environment (credentials()).
std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode);
// The passphrase or key file given: --password-file (or CERTVAULT_PASSWORD_FILE), else
// CERTVAULT_PASSWORD; --key-file (or CERTVAULT_KEY_FILE); else, on a terminal, a prompt
// without echo.
Credentials credentials();
// Says on stderr that a plaintext repository is not encrypted (text output only: --json stays
// pure JSON and carries an `encrypted` field instead).
void warn_if_not_encrypted(const Repository& repository);
// Times print as certvault::format_utc() writes them: "2026-11-24 15:48:39Z".
void print_json(const nlohmann::json& value);
// Adds --repo (also from $CERTVAULT_REPO), required, and --password-file / --key-file.
CLI::Option* add_repo_option(CLI::App& command, std::string& repo);
void warn(const std::string& message);

}  // namespace certvault::cli
