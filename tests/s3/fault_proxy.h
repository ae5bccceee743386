// A fault-injecting HTTP proxy between an S3 client and the gateway, on 127.0.0.1 (plain POSIX
// sockets, a thread per connection). Each request is forwarded on a connection of its own
// ("Connection: close"), unless, with probability `fault_rate` (seeded, so a run can be repeated),
// one fault replaces it:
//   kInternalError  answers 500 InternalError without forwarding;
//   kSlowDown       answers 503 SlowDown without forwarding;
//   kResetBefore    resets the connection (RST) without forwarding;
//   kResetAfter     forwards, lets the gateway do the work, then resets instead of answering;
//   kTruncate       forwards and sends only the first half of the gateway's answer, then closes.
// It never alters a byte it forwards: a client must notice every fault by itself.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace certvault_s3_test {

enum class Fault { kInternalError, kSlowDown, kResetBefore, kResetAfter, kTruncate };
constexpr size_t kFaultKinds = 5;
const char* fault_name(Fault fault);

class FaultProxy {
 public:
  // Listens on 127.0.0.1:`port` (0: any free port); throws std::runtime_error when it cannot.
  FaultProxy(std::string upstream_host, uint16_t upstream_port, uint64_t seed, double fault_rate, uint16_t port = 0);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  uint16_t port() const { return port_; }
  uint64_t requests() const { return requests_; }
  uint64_t injected(Fault fault) const { return injected_[static_cast<size_t>(fault)]; }
  std::string summary() const;  // "N requests: 500 x a, 503 SlowDown x b, ..."

 private:
  void accept_loop();
  void serve(int client);
  bool choose_fault(Fault& fault);

  std::string upstream_host_;
  uint16_t upstream_port_;
  double fault_rate_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // the generator and the connection threads
  std::mt19937_64 generator_;
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Connection> connections_;  // finished ones are joined at the next accept
  std::thread acceptor_;
  std::atomic<uint64_t> requests_{0};
  std::array<std::atomic<uint64_t>, kFaultKinds> injected_{};
};

}  // namespace certvault_s3_test
