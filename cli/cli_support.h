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

std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode);
// Times print as certvault::format_utc() writes them: "2026-11-24 15:48:39Z".
void print_json(const nlohmann::json& value);
// Adds --repo (also from $CERTVAULT_REPO), required.
CLI::Option* add_repo_option(CLI::App& command, std::string& repo);
void warn(const std::string& message);

// The one description of --server (backup, restore). The user guide quotes it word for word
// (tests/backup/server_option_test.cc compares them); README, runbook and docs/windows.md agree.
inline constexpr const char* kServerOptionHelp =
    "the CA's computer, by its NetBIOS or DNS name (CA01 or ca01.contoso.com), not the config "
    "string HOST\\CA Name: the CA name comes from the API's answer. Simulated CA: its folder";

}  // namespace certvault::cli
