#include "local_object_store_files.h"

#include "certvault/base/file_system.h"

namespace certvault::local_files {

bool is_temporary(const std::filesystem::path& path) { return path.filename().string().starts_with(kTempPrefix); }

std::vector<std::filesystem::path> regular_files_under(const std::filesystem::path& folder,
                                                       const std::string& operation) {
  std::vector<std::filesystem::path> files;
  std::vector<std::filesystem::path> folders{folder};
  while (!folders.empty()) {
    const auto current = std::move(folders.back());
    folders.pop_back();
    for (const auto& entry : os::file_system().list_folder(current, operation)) {
      if (entry.type == os::EntryType::kFile) files.push_back(current / entry.name);
      if (entry.type == os::EntryType::kFolder) folders.push_back(current / entry.name);
    }
  }
  return files;
}

}  // namespace certvault::local_files
