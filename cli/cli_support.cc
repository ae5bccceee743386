#include "cli_support.h"

#include <cstdio>

#include "certvault/base/os_file.h"

namespace certvault::cli {

void warn(const std::string& message) { std::fprintf(stderr, "certvault: warning: %s\n", message.c_str()); }

std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode) {
  return Repository::open(os::path_from_utf8(path), mode, warn);  // UTF-8, whatever the Windows code page
}

void print_json(const nlohmann::json& value) { std::printf("%s\n", value.dump(2).c_str()); }

CLI::Option* add_repo_option(CLI::App& command, std::string& repo) {
  return command.add_option("--repo,-r", repo, "repository folder")->required()->envname("CERTVAULT_REPO");
}

}  // namespace certvault::cli
