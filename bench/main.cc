#include <cstdio>
#include <cstring>
#include <exception>

#include "bench_mode.h"

namespace certvault::bench {
std::vector<Mode>& modes() {
  static std::vector<Mode> registered;
  return registered;
}
}  // namespace certvault::bench

int main(int argc, char** argv) {
  using certvault::bench::modes;
  if (argc >= 2) {
    for (const auto& mode : modes()) {
      if (mode.name == argv[1]) {
        try {
          return mode.run(argc - 1, argv + 1);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "certvault-bench %s: error: %s\n", argv[1], e.what());
          return 1;
        }
      }
    }
  }
  std::fprintf(stderr, "usage: certvault-bench MODE [options]   (MODE --help for its options)\nmodes:\n");
  for (const auto& mode : modes()) std::fprintf(stderr, "  %-10s %s\n", mode.name.c_str(), mode.summary.c_str());
  return argc >= 2 && std::strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
