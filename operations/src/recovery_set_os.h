// The operating-system half of the recovery set (recovery_set.h): recovery_set_win32.cc reads
// the registry, the machine's certificate store and %windir%; recovery_set_posix.cc reads the
// simulated CA's models of them (DIR/.casim/registry.json, DIR/.casim/store/, DIR/Windows/).
// Each returns nullopt with the reason in `why_not` when there is nothing to read.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "certvault/operations/recovery_set.h"

namespace certvault::recovery_os {

std::optional<RegistryKey> read_configuration_key(const std::string& server, std::string& origin, std::string& why_not);
// `thumbprint`: 40 lower-case hex digits.
std::optional<std::vector<uint8_t>> read_ca_certificate(const std::string& server, const std::string& thumbprint,
                                                        std::string& origin, std::string& why_not);
std::optional<std::vector<uint8_t>> read_capolicy(const std::string& server, std::string& origin, std::string& why_not);

// A whole file, opened without following a symlink (both halves read their files with it;
// defined in recovery_set.cc).
std::optional<std::vector<uint8_t>> read_whole(const std::filesystem::path& path, std::string& why_not);

}  // namespace certvault::recovery_os
