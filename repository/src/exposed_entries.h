// What in a repository someone other than its owner may read or change.
//
// On POSIX, a file or folder with any group or other permission bit; the
// repository's own folder included, symlinks skipped (their mode means
// nothing and they are never followed). On Windows nothing is reported: access
// there is the repository folder's inherited ACL (see
// FileSystem::make_private), not per-file bits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace certvault {

struct ExposedEntry {
  std::filesystem::path path;
  uint32_t mode = 0;  // the POSIX permission bits found
  bool folder = false;
};

std::vector<ExposedEntry> find_exposed_entries(const std::filesystem::path& root);

}  // namespace certvault
