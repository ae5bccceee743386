// Helpers shared by the benchmark modes: timing, medians, peak RSS, scratch
// folders, CA-like page contents and the page-level storage ideal.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace certvault::bench {

inline double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

inline uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

class ScratchFolder {
 public:
  ScratchFolder() {
    std::random_device random;
    const char* base = std::getenv("CERTVAULT_BENCH_DIR");
    path_ = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
            ("certvault-bench-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An 8 KiB page that compresses about as a CA database page does: half
// high-entropy (keys, signatures), half structured text.
inline void fill_ca_like_page(uint8_t* page, uint64_t seed) {
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < 4096; i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::copy_n(reinterpret_cast<const uint8_t*>(&state), 8, page + i);
  }
  static constexpr char kText[] = "CN=Contoso Issuing CA, O=Contoso, C=IT; serial 1A2B3C4D; 2026-11-24T15:48:39Z; ";
  for (size_t i = 4096; i < 8192; ++i) page[i] = static_cast<uint8_t>(kText[(i + seed) % (sizeof(kText) - 1)]);
}

inline uint64_t zstd_size(const uint8_t* data, size_t size, int level = 3) {
  std::vector<uint8_t> out(ZSTD_compressBound(size));
  const size_t n = ZSTD_compress(out.data(), out.size(), data, size, level);
  return ZSTD_isError(n) ? size : std::min<uint64_t>(n, size);
}

struct ChildResult {
  double seconds = 0;
  uint64_t peak_rss = 0;
  int exit_code = -1;
  std::string last_line;  // of its stdout
};

// Runs `argv` (the real binary, so that its peak RSS is its own: getrusage of the child via wait4),
// stdout and stderr to `output`.
inline ChildResult run_child(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  ChildResult result;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);  // progress lines too: the bench prints only its own figures
    }
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.peak_rss = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) result.last_line = line;
  }
  return result;
}

}  // namespace certvault::bench
