#include "cli_support.h"

#include <cstdio>
#include <ctime>

#include "certvault/base/os_file.h"

namespace certvault::cli {

void warn(const std::string& message) { std::fprintf(stderr, "certvault: warning: %s\n", message.c_str()); }

std::unique_ptr<Repository> open_repository(const std::string& path, LockMode mode) {
  return Repository::open(os::path_from_utf8(path), mode, warn);  // UTF-8, whatever the Windows code page
}

std::string format_utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%SZ", &tm);
  return text;
}

void print_json(const nlohmann::json& value) { std::printf("%s\n", value.dump(2).c_str()); }

CLI::Option* add_repo_option(CLI::App& command, std::string& repo) {
  return command.add_option("--repo,-r", repo, "repository folder")->required()->envname("CERTVAULT_REPO");
}

}  // namespace certvault::cli
