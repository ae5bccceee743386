// The S3 gateway the tests labelled `s3` run against: scripts/ceph-rgw.sh prints the environment
// (CERTVAULT_S3_ENDPOINT, CERTVAULT_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Without
// it a test exits with kSkipped, which ctest reports as skipped (SKIP_RETURN_CODE), so a plain
// `ctest` stays green on a machine without Ceph; with CERTVAULT_S3_REQUIRED=1 (CI) a missing
// gateway is a failure instead.
#pragma once

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "certvault/base/hex.h"
#include "certvault/s3/location.h"
#include "certvault/s3/options.h"

namespace certvault_s3_test {

constexpr int kSkipped = 77;

inline std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The gateway's endpoint ("http://127.0.0.1:7480"), or an exit as described above.
inline std::string gateway_endpoint() {
  const auto endpoint = environment("CERTVAULT_S3_ENDPOINT");
  if (endpoint.empty() || environment("CERTVAULT_S3_BUCKET").empty()) {
    if (environment("CERTVAULT_S3_REQUIRED") == "1") {
      FAIL("CERTVAULT_S3_REQUIRED=1 but CERTVAULT_S3_ENDPOINT / CERTVAULT_S3_BUCKET are not set");
    }
    std::fprintf(stderr, "skipped: no S3 gateway (run: eval \"$(scripts/ceph-rgw.sh start)\")\n");
    std::exit(kSkipped);
  }
  return endpoint;
}

// A prefix of its own for each test, so runs and tests never see each other's objects.
inline std::string fresh_prefix(const std::string& test) {
  uint8_t random[6];
  certvault::fill_random(random);
  return "test-" + test + "-" + certvault::to_hex(random);
}

// `endpoint` (default: the gateway's) with the test bucket and `prefix`.
inline certvault::s3::S3Location gateway_location(const std::string& prefix, std::string endpoint = {}) {
  if (endpoint.empty()) endpoint = gateway_endpoint();
  return certvault::s3::parse_s3_location("s3:" + endpoint + "/" + environment("CERTVAULT_S3_BUCKET") +
                                          (prefix.empty() ? "" : "/" + prefix));
}

// Credentials from the environment; small multipart sizes so tests reach multipart with little data,
// and short retry delays.
inline certvault::s3::S3Options gateway_options() {
  auto options = certvault::s3::s3_options_from_environment();
  options.multipart_threshold = 6 << 20;
  options.part_size = 5 << 20;
  options.base_delay = std::chrono::milliseconds(10);
  options.max_delay = std::chrono::milliseconds(200);
  options.abandoned_upload_age = std::chrono::seconds(0);
  return options;
}

}  // namespace certvault_s3_test
