// s3_fault_proxy: the tests' fault proxy (fault_proxy.h) as a program, to put between the
// `certvault` binary and a gateway:
//   s3_fault_proxy 127.0.0.1:7480 [--seed N] [--rate 0.2] [--port P]
// prints "127.0.0.1:PORT" on its first line, runs until SIGINT/SIGTERM, then prints what it injected.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fault_proxy.h"

int main(int argc, char* argv[]) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s UPSTREAM_HOST:PORT [--seed N] [--rate R] [--port P]\n", argv[0]);
    return 2;
  }
  const std::string upstream = argv[1];
  const auto colon = upstream.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "s3_fault_proxy: upstream must be HOST:PORT, not %s\n", upstream.c_str());
    return 2;
  }
  uint64_t seed = 1;
  double rate = 0.2;
  unsigned long port = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (option == "--rate") {
      rate = std::strtod(argv[i + 1], nullptr);
    } else if (option == "--port") {
      port = std::strtoul(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "s3_fault_proxy: unknown option %s\n", option.c_str());
      return 2;
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: only sigwait sees them
  certvault_s3_test::FaultProxy proxy(upstream.substr(0, colon),
                                      static_cast<uint16_t>(std::stoul(upstream.substr(colon + 1))), seed, rate,
                                      static_cast<uint16_t>(port));
  std::printf("127.0.0.1:%u\n", proxy.port());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "s3_fault_proxy: %s\n", proxy.summary().c_str());
  return 0;
}
