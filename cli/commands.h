// Each command lives in its own file and registers itself on the root app.
// A registrar adds its subcommand and a callback; the callback throws on
// failure (see main.cc for how exceptions map to exit codes).
#pragma once

#include <CLI/CLI.hpp>

namespace certvault::cli {
// Set by a command's callback; main returns it when nothing was thrown.
int& command_exit_code();

void register_init_command(CLI::App& app);
void register_backup_command(CLI::App& app);
void register_snapshots_command(CLI::App& app);
void register_export_command(CLI::App& app);
void register_restore_command(CLI::App& app);
void register_verify_command(CLI::App& app);
void register_prune_command(CLI::App& app);
void register_check_command(CLI::App& app);
void register_repair_command(CLI::App& app);
void register_unlock_command(CLI::App& app);
void register_show_command(CLI::App& app);
void register_diff_command(CLI::App& app);
void register_stats_command(CLI::App& app);
void register_forget_command(CLI::App& app);
void register_status_command(CLI::App& app);
void register_install_eventsource_command(CLI::App& app);
void register_key_command(CLI::App& app);
void register_migrate_command(CLI::App& app);
void register_copy_command(CLI::App& app);

}  // namespace certvault::cli
