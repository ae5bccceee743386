// How the S3 client talks to the service: region, credentials, addressing, TLS, multipart sizes,
// retries and timeouts.
//
// Contract:
// - s3_options_from_environment() reads the region (AWS_DEFAULT_REGION, else AWS_REGION, else
//   "us-east-1") and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and
//   AWS_SESSION_TOKEN for temporary credentials), a CA bundle (AWS_CA_BUNDLE) and the attempts per
//   request (CERTVAULT_S3_MAX_ATTEMPTS, 1 to 100); the rest keeps the defaults below. It throws
//   Error(kUsage) when only one of the key id and the secret is set, or the attempts are not such
//   a number; with neither key, requests go unsigned (a public bucket) and the service decides.
// - Addressing kAuto is path-style (https://host/bucket/key) for IP addresses, localhost and every
//   host that is not AWS, and virtual-hosted (https://bucket.host/key) for *.amazonaws.com when
//   the bucket name is a valid DNS label (no dots over https: the certificate would not match).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "certvault/s3/location.h"

namespace certvault::s3 {

enum class Addressing { kAuto, kPathStyle, kVirtualHosted };

struct S3Options {
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token when not empty
  Addressing addressing = Addressing::kAuto;
  std::string ca_bundle;  // a PEM file of CA certificates instead of the system's; empty: the system's
  // Objects larger than the threshold are uploaded in parts of part_size bytes (S3: at least 5 MiB
  // except the last, at most 10000 parts).
  size_t multipart_threshold = 16 << 20;
  size_t part_size = 8 << 20;
  // Attempts per request (the first one included) on errors worth retrying, with exponential
  // backoff and full jitter: a random delay in [0, min(max_delay, base_delay * 2^(attempt-1))].
  // s3_options_from_environment: CERTVAULT_S3_MAX_ATTEMPTS (1 to 100) when set.
  int max_attempts = 8;
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{10000};
  std::chrono::seconds connect_timeout{10};
  // A transfer that moves fewer than 1 byte/s for this long is abandoned (and retried).
  std::chrono::seconds stall_timeout{60};
  // The S3 object store's remove_temporaries() aborts incomplete multipart uploads started longer
  // ago than this (by the local clock against the service's): a younger one may belong to a writer
  // still at work on another machine, and an hour is far beyond any clock skew.
  std::chrono::seconds abandoned_upload_age{3600};
};

S3Options s3_options_from_environment();

// Path-style or virtual-hosted for `location` (resolves kAuto).
bool use_path_style(const S3Location& location, Addressing addressing);

}  // namespace certvault::s3
