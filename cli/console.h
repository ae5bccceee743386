// The terminal certvault writes to, on each system.
//
// Contract: prepare() is called once at start: on Windows it switches the
// console's output code page to UTF-8 (cmd and PowerShell otherwise show
// UTF-8 text as mojibake) and turns on virtual-terminal processing where the
// console supports it. arguments() returns the command line as UTF-8 (on
// Windows from GetCommandLineW, never the ANSI code page). stderr_is_terminal()
// says whether stderr is an interactive console (isatty / GetConsoleMode).
// read_secret() reads a passphrase with echo off.
#pragma once

#include <string>
#include <vector>

namespace certvault::cli::console {

void prepare();
std::vector<std::string> arguments(int argc, char** argv);
bool stderr_is_terminal();
// Whether stdin is an interactive terminal (a passphrase prompt can be answered).
bool stdin_is_terminal();
// Writes `prompt` to stderr and reads one line from the terminal without echoing it (termios on
// POSIX, SetConsoleMode on Windows); throws Error(kUsage) at end of input.
std::string read_secret(const std::string& prompt);

}  // namespace certvault::cli::console
