// Each command lives in its own file and registers itself on the root app.
// A registrar adds its subcommand and a callback; the callback throws on
// failure (see main.cc for how exceptions map to exit codes).
#pragma once

#include <CLI/CLI.hpp>

namespace certvault::cli {
// Set by a command's callback; main returns it when nothing was thrown.
int& command_exit_code();

}  // namespace certvault::cli
