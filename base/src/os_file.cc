// The parts of os_file.h that are the same on every system.
#include "certvault/base/os_file.h"

#include <utility>

namespace certvault::os {

File::File(File&& other) noexcept
    : handle_(std::exchange(other.handle_, kClosed)),
      path_(std::move(other.path_)),
      operation_(std::move(other.operation_)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    try {
      if (is_open()) close();
    } catch (...) {
      // A close error of the file being replaced has nobody to report to.
    }
    handle_ = std::exchange(other.handle_, kClosed);
    path_ = std::move(other.path_);
    operation_ = std::move(other.operation_);
  }
  return *this;
}

File::~File() {
  try {
    if (is_open()) close();
  } catch (...) {
    // Destructors never throw; callers who care call close() themselves.
  }
}

std::filesystem::path path_from_utf8(std::string_view text) {
  return std::filesystem::path(std::u8string(text.begin(), text.end()));
}

std::string display(const std::filesystem::path& path) {
  const std::u8string text = path.u8string();
  return std::string(text.begin(), text.end());
}

}  // namespace certvault::os
