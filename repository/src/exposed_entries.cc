#include "exposed_entries.h"

#include "certvault/base/file_system.h"

namespace certvault {
namespace {

constexpr uint32_t kGroupAndOtherBits = 077;

void visit(const std::filesystem::path& path, const os::FileStatus& status, std::vector<ExposedEntry>& found) {
  if (status.type != os::EntryType::kFile && status.type != os::EntryType::kFolder) return;
  const bool folder = status.type == os::EntryType::kFolder;
  if (status.posix_mode && (*status.posix_mode & kGroupAndOtherBits) != 0) {
    found.push_back({path, *status.posix_mode, folder});
  }
  if (!folder) return;
  auto& files = os::file_system();
  for (const auto& entry : files.list_folder(path, "look for files others can read")) {
    const auto child = path / entry.name;
    if (const auto child_status = files.status(child, false)) visit(child, *child_status, found);
  }
}

}  // namespace

std::vector<ExposedEntry> find_exposed_entries(const std::filesystem::path& root) {
  std::vector<ExposedEntry> found;
  if (const auto status = os::file_system().status(root, false)) visit(root, *status, found);
  return found;
}

}  // namespace certvault
