// Helpers of the encryption tests: a repository with a few snapshots, byte flips, searches.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace encryption_test {

using certvault_test::quoted;

inline const std::string kPassphrase = "certvault test passphrase";  // tests/test_main.cc

// `certvault ARGUMENTS` with extra environment assignments (`VAR=value ...`) in front.
inline certvault_test::CommandResult certvault_with(const std::string& environment, const std::string& arguments) {
  return certvault_test::run(environment + " " + quoted(certvault_test::certvault_binary().string()) + " " + arguments);
}

inline bool contains(const std::vector<uint8_t>& haystack, const std::vector<uint8_t>& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

inline std::vector<uint8_t> ascii(const std::string& text) { return {text.begin(), text.end()}; }

inline std::vector<uint8_t> utf16le(const std::string& text) {
  std::vector<uint8_t> out;
  for (char c : text) {
    out.push_back(static_cast<uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

// Object names (relative, '/'-separated) of every file under `repo`'s object folders.
inline std::vector<std::string> object_names(const std::filesystem::path& repo) {
  std::vector<std::string> names;
  for (const char* folder : {"packs", "recipes", "snapshots", "dicts", "truncations"}) {
    if (!std::filesystem::exists(repo / folder)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(repo / folder)) {
      if (entry.is_regular_file()) names.push_back(std::filesystem::relative(entry.path(), repo).generic_string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Flips the lowest bit of byte `at` in place (the file keeps its mode); flipping twice restores it.
inline void flip_byte(const std::filesystem::path& file, size_t at) {
  REQUIRE(at < std::filesystem::file_size(file));
  std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
  io.seekg(static_cast<std::streamoff>(at));
  const int byte = io.get();
  io.seekp(static_cast<std::streamoff>(at));
  io.put(static_cast<char>(byte ^ 0x01));
  REQUIRE(io.good());
}

}  // namespace encryption_test
