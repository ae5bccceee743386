// Which failures of an S3 request are worth another attempt, and how long to wait before it.
// Retrying is safe for every request certvault sends (see certvault/s3/client.h): the service
// failing, throttling or dropping the connection says nothing about the request itself, while any
// other 4xx answer (a missing key, a refused signature) would fail again the same way.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <string>

namespace certvault::s3 {

bool is_retryable_transfer_error(CURLcode code);
bool is_retryable_answer(long http_status, const std::string& s3_error_code);
// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))], attempt from 1.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base_delay,
                                        std::chrono::milliseconds max_delay);

}  // namespace certvault::s3
