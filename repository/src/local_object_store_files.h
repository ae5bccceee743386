// File-system helpers of the local object store.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace certvault::local_files {

// Temp files of uncommitted writers are named ".tmp-<random>-<basename>";
// validate_object_name refuses such names so no object can look like one.
inline constexpr std::string_view kTempPrefix = ".tmp-";

bool is_temporary(const std::filesystem::path& path);

// Every regular file below `folder`, recursively; symlinks are not followed.
std::vector<std::filesystem::path> regular_files_under(const std::filesystem::path& folder,
                                                       const std::string& operation);

}  // namespace certvault::local_files
