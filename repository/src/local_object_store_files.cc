#include "local_object_store_files.h"

#include <fmt/format.h>

#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault::local_files {

bool is_temporary(const std::filesystem::path& path) { return path.filename().string().starts_with(kTempPrefix); }

std::vector<std::filesystem::path> regular_files_under(const std::filesystem::path& folder,
                                                       const std::string& operation) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && !it->is_symlink(type_ec)) files.push_back(it->path());
  }
  if (ec) {
    throw Error(ErrorKind::kFailure,
                fmt::format("{}: cannot walk folder {}: {}", operation, folder.string(), ec.message()));
  }
  return files;
}

}  // namespace certvault::local_files
