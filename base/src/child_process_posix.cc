#include <sys/wait.h>

#include <cstdio>

#include "certvault/base/child_process.h"
#include "certvault/base/error.h"

namespace certvault {
namespace {

std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::filesystem::path executable_folder() {
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : executable.parent_path();
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv) {
  // Appended piece by piece: `const char* + std::string&&` here made GCC 12 at -O3 report a false
  // -Wrestrict inside std::string::insert.
  std::string command;
  for (const auto& argument : argv) {
    if (!command.empty()) command += ' ';
    command += shell_quoted(argument);
  }
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::string what = "cannot start ";
    what += argv.empty() ? "(nothing)" : argv.front().c_str();
    throw_errno(what);
  }
  ProgramResult result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::filesystem::path find_casim() {
  const auto folder = executable_folder();
  if (folder.empty()) return {};
  for (const auto& candidate : {folder / "casim", folder.parent_path() / "sim" / "casim"}) {
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error)) return candidate;
  }
  return {};
}

bool is_simulated_ca(const std::string& server) {
  std::error_code error;
  return std::filesystem::is_regular_file(std::filesystem::path(server) / ".casim" / "state.json", error);
}

}  // namespace certvault
