// system_path() on POSIX systems: paths go to the system unchanged.
#include "certvault/base/os_file.h"

namespace certvault::os {

std::filesystem::path system_path(const std::filesystem::path& path) { return path; }

}  // namespace certvault::os
