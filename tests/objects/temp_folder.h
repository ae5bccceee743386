// A fresh folder per test, removed afterwards.
#pragma once

#include <filesystem>
#include <string>

#include "test_support.h"

namespace certvault::testing {
using TempFolder = certvault_test::TempFolder;

inline std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// Every file under `folder` whose name starts with ".tmp-".
inline size_t count_temp_files(const std::filesystem::path& folder) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.path().filename().string().starts_with(".tmp-")) ++count;
  }
  return count;
}
}  // namespace certvault::testing
