// Helpers shared by the repository and backup tests: temporary folders,
// running the real binaries, deterministic data, file comparison.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace certvault_test {

inline std::filesystem::path binary_dir() { return CERTVAULT_BINARY_DIR; }
inline std::filesystem::path certvault_binary() { return binary_dir() / "cli" / "certvault"; }
inline std::filesystem::path casim_binary() { return binary_dir() / "sim" / "casim"; }
inline std::filesystem::path sim_library() { return binary_dir() / "sim" / "libcertadm_sim.so"; }

inline std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class TempFolder {
 public:
  explicit TempFolder(const std::string& leaf = "test") {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("certvault-" + leaf + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& leaf) const { return path_ / leaf; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output and exit code.
inline CommandResult run(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = popen((command_line + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline CommandResult certvault(const std::string& arguments) {
  return run(quoted(certvault_binary().string()) + " " + arguments);
}

inline void casim(const std::string& arguments) {
  const auto result = run(quoted(casim_binary().string()) + " " + arguments);
  INFO("casim " << arguments << "\n" << result.output);
  REQUIRE(result.exit_code == 0);
}

// casim start, then casim verify: the generation whose ground truth the recovered CA matches.
inline uint32_t recover_and_verify(const std::filesystem::path& ca) {
  casim("start " + quoted(ca.string()));
  const auto verify = run(quoted(casim_binary().string()) + " verify " + quoted(ca.string()));
  INFO(verify.output);
  REQUIRE(verify.exit_code == 0);
  // No std::regex: GCC 12 under ASan warns falsely inside it (see tests/CMakeLists.txt).
  const std::string marker = "ground truth of generation ";
  const auto at = verify.output.find(marker);
  REQUIRE(at != std::string::npos);
  return static_cast<uint32_t>(std::stoul(verify.output.substr(at + marker.size())));
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// Fast deterministic pseudo-random bytes (splitmix64).
inline std::vector<uint8_t> random_bytes(size_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  uint64_t state = seed;
  for (size_t i = 0; i < size; i += 8) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < size; ++j) bytes[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
  return bytes;
}

// Every regular file under `root`, relative path -> bytes.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> folder_contents(const std::filesystem::path& root) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && !entry.is_symlink()) {
      files.emplace_back(std::filesystem::relative(entry.path(), root).generic_string(), read_bytes(entry.path()));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace certvault_test
