// Helpers for tests against the simulated CA: a fresh CA folder per test,
// casim commands, and the sim's own call log (DIR/.casim/calls.log).
#pragma once

#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "test_support.h"

namespace certadm_test {

inline std::filesystem::path sim_library_path() {
  return std::filesystem::path(CERTVAULT_BINARY_DIR) / "sim" / "libcertadm_sim.so";
}
inline std::filesystem::path casim_path() { return std::filesystem::path(CERTVAULT_BINARY_DIR) / "sim" / "casim"; }

inline std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string to_utf8(const std::filesystem::path& path) {
  const auto text = path.u8string();
  return std::string(text.begin(), text.end());
}

inline std::vector<uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::vector<std::string> file_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether the process has `library` loaded now (a NOLOAD open takes a reference, given back here).
inline bool is_loaded(const std::filesystem::path& library) {
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// A temporary folder removed at the end of the test.
using TempFolder = certvault_test::TempFolder;

// Runs `casim ARGS` and requires it to succeed.
inline void casim(const std::string& arguments) {
  const std::string command = shell_quoted(to_utf8(casim_path())) + " " + arguments + " >/dev/null";
  INFO("command: " << command);
  REQUIRE(std::system(command.c_str()) == 0);
}

// A simulated CA in a fresh folder, with `certificates` issued.
class SimCa {
 public:
  SimCa(const std::string& ca_name, const std::string& folder_name = "ca", int certificates = 20,
        const std::string& db_size = "1MiB")
      : folder_(temp_.path() / std::filesystem::path(folder_name)), ca_name_(ca_name) {
    casim("init " + quoted_folder() + " --ca-name " + shell_quoted(ca_name) + " --db-size " + db_size);
    if (certificates > 0) casim("issue " + quoted_folder() + " --count " + std::to_string(certificates));
    std::filesystem::remove(calls_file());
  }
  const std::filesystem::path& folder() const { return folder_; }
  std::string server() const { return to_utf8(folder_); }
  std::string quoted_folder() const { return shell_quoted(server()); }
  std::filesystem::path database() const { return folder_ / "CertLog" / std::filesystem::path(ca_name_ + ".edb"); }
  std::filesystem::path calls_file() const { return folder_ / ".casim" / "calls.log"; }
  std::vector<std::string> calls() const { return file_lines(calls_file()); }
  void clear_calls() const { std::filesystem::remove(calls_file()); }

 private:
  TempFolder temp_{"sim"};
  std::filesystem::path folder_;
  std::string ca_name_;
};

}  // namespace certadm_test
