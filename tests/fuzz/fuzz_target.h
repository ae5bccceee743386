// One fuzz target = one parser of untrusted bytes (from disk or from the
// Certadm API). A target must never crash, leak or trip a sanitizer; throwing
// certvault::Error for bad input is the expected outcome.
//
// The same target source builds two ways:
//  - with -DCERTVAULT_FUZZ=ON and clang: a libFuzzer executable fuzz_<name>
//    (scripts/fuzz.sh runs them);
//  - always: registered in fuzz_replay_tests, a Catch2 test that feeds each
//    target its seed inputs plus deterministic mutations, so every CI run
//    (including the ASan+UBSan one) exercises the parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace certvault::fuzz {
struct Target {
  std::string name;
  std::function<void(const uint8_t*, size_t)> run;
  std::function<std::vector<std::vector<uint8_t>>()> seeds;
};
std::vector<Target>& targets();
struct Registration {
  explicit Registration(Target target) { targets().push_back(std::move(target)); }
};
}  // namespace certvault::fuzz

#ifdef CERTVAULT_LIBFUZZER
#define CERTVAULT_FUZZ_TARGET(name, seeds_fn, run_fn)                       \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    run_fn(data, size);                                                     \
    return 0;                                                               \
  }                                                                         \
  [[maybe_unused]] static const auto name##_unused_seeds = &seeds_fn
#else
#define CERTVAULT_FUZZ_TARGET(name, seeds_fn, run_fn)              \
  static const certvault::fuzz::Registration name##_registration { \
    { #name, run_fn, seeds_fn }                                    \
  }
#endif
