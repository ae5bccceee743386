// Which failures are retried, and the backoff's bounds.
#include "retry_policy.h"

#include <catch2/catch.hpp>

using namespace certvault::s3;
using std::chrono::milliseconds;

TEST_CASE("s3 retry: 5xx, 429, throttling and transfer failures are retried; other 4xx are not") {
  CHECK(is_retryable_answer(500, ""));
  CHECK(is_retryable_answer(503, "SlowDown"));
  CHECK(is_retryable_answer(429, ""));
  CHECK(is_retryable_answer(400, "RequestTimeout"));
  CHECK(is_retryable_answer(200, "InternalError"));  // a completion's 200 with an <Error>
  CHECK_FALSE(is_retryable_answer(403, "SignatureDoesNotMatch"));
  CHECK_FALSE(is_retryable_answer(404, "NoSuchKey"));
  CHECK_FALSE(is_retryable_answer(400, "InvalidArgument"));
  CHECK(is_retryable_transfer_error(CURLE_RECV_ERROR));
  CHECK(is_retryable_transfer_error(CURLE_PARTIAL_FILE));
  CHECK(is_retryable_transfer_error(CURLE_OPERATION_TIMEDOUT));
  CHECK(is_retryable_transfer_error(CURLE_GOT_NOTHING));
  CHECK_FALSE(is_retryable_transfer_error(CURLE_PEER_FAILED_VERIFICATION));
  CHECK_FALSE(is_retryable_transfer_error(CURLE_URL_MALFORMAT));
}

TEST_CASE("s3 retry: full jitter stays within [0, min(max, base * 2^(attempt-1))] and spreads") {
  for (int attempt = 1; attempt <= 40; ++attempt) {
    const auto ceiling = std::min<long long>(5000, 100LL << std::min(attempt - 1, 30));
    milliseconds low{ceiling}, high{0};
    for (int i = 0; i < 200; ++i) {
      const auto delay = backoff_delay(attempt, milliseconds(100), milliseconds(5000));
      REQUIRE(delay.count() >= 0);
      REQUIRE(delay.count() <= ceiling);
      low = std::min(low, delay);
      high = std::max(high, delay);
    }
    CHECK(high - low > milliseconds(ceiling / 4));  // jitter, not a fixed delay
  }
}
