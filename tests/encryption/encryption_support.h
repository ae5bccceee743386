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

// A simulated CA backed up (full, then an incremental) into a repository made by `init INIT_ARGS`.
class BackedUpCa {
 public:
  explicit BackedUpCa(const std::string& init_args = "") : temp_("encryption") {
    certvault_test::casim("init " + quoted(ca().string()) + " --ca-name 'Contoso Issuing CA' --db-size 2MiB");
    certvault_test::casim("issue " + quoted(ca().string()) + " --count 60");
    const auto init = certvault_test::certvault("init " + r() + init_args);
    INFO(init.output);
    REQUIRE(init.exit_code == 0);
    back_up("full");
    certvault_test::casim("issue " + quoted(ca().string()) + " --count 20");
    back_up("incremental");
  }
  std::filesystem::path ca() const { return temp_ / "ca"; }
  std::filesystem::path repo() const { return temp_ / "repo"; }
  std::filesystem::path path(const std::string& leaf) const { return temp_ / leaf; }
  std::string r() const { return " --repo " + quoted(repo().string()) + " "; }
  void back_up(const std::string& type) const {
    const auto result = certvault_test::certvault("backup" + r() + "--server " + quoted(ca().string()) + " --library " +
                                                  quoted(certvault_test::sim_library().string()) + " --type " + type);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
  }
  std::vector<std::pair<std::string, std::vector<uint8_t>>> exported(const std::string& leaf) const {
    const auto result = certvault_test::certvault("export latest --to " + quoted(path(leaf).string()) + r());
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return certvault_test::folder_contents(path(leaf));
  }

 private:
  certvault_test::TempFolder temp_;
};

// Strings the simulated CA writes into every certificate row of its database (sim/src/core/page_content.cc).
inline const std::vector<std::vector<uint8_t>> kCaStrings = {ascii(",O=Contoso Italia S.p.A.,C=IT"),
                                                             utf16le("@contoso.it"), utf16le(",O=Contoso Italia")};

// The files under `root` holding one of kCaStrings, added to `which`; returns how many there are.
inline size_t files_containing_ca_strings(const std::filesystem::path& root, std::vector<std::string>& which) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const auto bytes = certvault_test::read_bytes(entry.path());
    for (const auto& needle : kCaStrings) {
      if (contains(bytes, needle)) {
        which.push_back(entry.path().string());
        break;
      }
    }
  }
  return which.size();
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
