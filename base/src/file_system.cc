// file_system.h: the current file system and the helpers built on it.
#include "certvault/base/file_system.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault::os {
namespace {

// Null means the OS's file system; an atomic so that worker threads that read
// it while a test's main thread installs one see either value whole.
std::atomic<FileSystem*> installed{nullptr};

}  // namespace

std::unique_ptr<OpenFile> FileSystem::open(const std::filesystem::path& path, OpenFor mode,
                                           const std::string& operation) {
  return open_file(path, mode, operation, nullptr);
}

std::unique_ptr<OpenFile> FileSystem::try_open(const std::filesystem::path& path, OpenFor mode,
                                               const std::string& operation, std::string& reason) {
  return open_file(path, mode, operation, &reason);
}

FileSystem& file_system() {
  FileSystem* current = installed.load(std::memory_order_acquire);
  return current != nullptr ? *current : os_file_system();
}

ScopedFileSystem::ScopedFileSystem(FileSystem& replacement)
    : previous_(installed.exchange(&replacement, std::memory_order_acq_rel)) {}

ScopedFileSystem::~ScopedFileSystem() { installed.store(previous_, std::memory_order_release); }

std::vector<std::filesystem::path> create_folders(const std::filesystem::path& path, const std::string& operation) {
  auto& files = file_system();
  std::vector<std::filesystem::path> missing;
  for (auto folder = path; !folder.empty(); folder = folder.parent_path()) {
    const auto status = files.status(folder, true);
    if (status) {
      if (status->type != EntryType::kFolder) {
        throw Error(ErrorKind::kFailure, fmt::format("{}: cannot create folder {}: {} exists and is not a folder",
                                                     operation, display(path), display(folder)));
      }
      break;
    }
    missing.push_back(folder);
    if (folder == folder.parent_path()) break;  // a root that does not exist: let create_folder say why
  }
  std::reverse(missing.begin(), missing.end());
  for (const auto& folder : missing) files.create_folder(folder, operation);
  return missing;
}

void remove_tree(const std::filesystem::path& path, const std::string& operation) {
  auto& files = file_system();
  const auto status = files.status(path, false);
  if (!status) return;
  if (status->type != EntryType::kFolder) {
    files.remove_file(path, operation, true);
    return;
  }
  for (const auto& entry : files.list_folder(path, operation)) {
    const auto child = path / entry.name;
    if (entry.type == EntryType::kFolder) {
      remove_tree(child, operation);
    } else {
      files.remove_file(child, operation, true);
    }
  }
  files.remove_folder(path, operation);
}

}  // namespace certvault::os
