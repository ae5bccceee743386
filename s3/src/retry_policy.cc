#include "retry_policy.h"

#include <algorithm>
#include <random>

namespace certvault::s3 {

bool is_retryable_transfer_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:  // a DNS hiccup
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:  // connect timeout or the stall limit
    case CURLE_SEND_ERROR:          // connection reset while sending
    case CURLE_RECV_ERROR:          // connection reset while receiving
    case CURLE_GOT_NOTHING:         // closed before any answer
    case CURLE_PARTIAL_FILE:        // a body shorter than its Content-Length
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:  // a handshake cut short (a bad certificate is CURLE_PEER_FAILED_VERIFICATION)
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SEND_FAIL_REWIND:
      return true;
    default:
      return false;
  }
}

bool is_retryable_answer(long http_status, const std::string& s3_error_code) {
  if (http_status >= 500 || http_status == 429) return true;
  return s3_error_code == "SlowDown" || s3_error_code == "RequestTimeout" || s3_error_code == "InternalError" ||
         s3_error_code == "ServiceUnavailable";
}

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base_delay,
                                        std::chrono::milliseconds max_delay) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const auto ceiling = std::min<long long>(max_delay.count(), base_delay.count() * (1LL << doublings));
  std::uniform_int_distribution<long long> uniform(0, std::max<long long>(ceiling, 0));
  return std::chrono::milliseconds(uniform(generator));
}

}  // namespace certvault::s3
