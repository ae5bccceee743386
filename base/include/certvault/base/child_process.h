// Running a helper program (the simulated CA's `casim`) and finding it.
//
// Contract: run_program() runs argv[0] with the arguments passed verbatim (no
// shell interpretation), waits, and returns its exit code and its standard
// output and error together. It throws Error(kFailure) only when the program
// cannot be started. The only file of certvault that starts processes, so the
// Windows twin of child_process_posix.cc is child_process_win32.cc.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace certvault {

struct ProgramResult {
  int exit_code = -1;
  std::string output;
};

ProgramResult run_program(const std::vector<std::string>& argv);

// `casim` beside the running executable, or in ../sim/ (the build tree);
// empty when neither exists.
std::filesystem::path find_casim();

// Whether `server` names a simulated CA: a folder holding the sim's
// `.casim/state.json` (docs/sim.md). A real CA is named by a config string.
bool is_simulated_ca(const std::string& server);

}  // namespace certvault
