// An S3 client for one bucket: the requests a repository of immutable, content-named objects needs,
// over libcurl, signed with AWS Signature Version 4 (CURLOPT_AWS_SIGV4).
//
// Contract:
// - Keys are full object keys (the caller adds its prefix). Every method is safe to call from
//   several threads at once: each request borrows a libcurl handle from a small pool, so a thread
//   keeps reusing the connections of the handle it gets.
// - Payload integrity: every request carries x-amz-content-sha256 with the real SHA-256 of its
//   body (OpenSSL's libcrypto, which uses the CPU's SHA instructions), which the signature covers,
//   so the service refuses a body damaged or cut short on the way. Never UNSIGNED-PAYLOAD: it
//   would give that up over plain http, which a local gateway speaks. The hash costs about 0.5 ms
//   per MiB of CPU.
// - Retries: a request that fails with a connection error, a timeout or stall, a truncated
//   response, HTTP 5xx, 429, or an S3 error code SlowDown / RequestTimeout / InternalError is
//   retried up to max_attempts times with exponential backoff and full jitter. Retrying is safe
//   because the repository's objects are immutable and named by their content (a repeated PUT
//   writes the same bytes) and every other request is idempotent. Other 4xx answers are not
//   retried.
// - Every failure throws certvault::Error naming the method, the key (or prefix), the HTTP status,
//   the S3 error code and message when the service sent one, and the number of attempts: kFailure,
//   or kIntegrity when a ranged GET returns other than the exact length asked for.
// - TLS peers are verified (against options.ca_bundle when set).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/s3/location.h"
#include "certvault/s3/options.h"
#include "certvault/s3/responses.h"

namespace certvault::s3 {

class S3Client {
 public:
  // location's bucket is the bucket spoken to; its prefix is the caller's business.
  S3Client(const S3Location& location, const S3Options& options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Options& options() const;

  void put_object(const std::string& key, std::span<const uint8_t> bytes);

  // Multipart upload: parts are numbered from 1; all but the last at least 5 MiB.
  std::string create_multipart_upload(const std::string& key);  // the upload id
  std::string upload_part(const std::string& key, const std::string& upload_id, int part_number,
                          std::span<const uint8_t> bytes);  // the part's ETag
  void complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                 const std::vector<CompletedPart>& parts, uint64_t total_size);
  void abort_multipart_upload(const std::string& key, const std::string& upload_id);
  // Incomplete multipart uploads whose keys start with `prefix`, oldest first as the service lists them.
  std::vector<MultipartUpload> list_multipart_uploads(const std::string& prefix);

  // Exactly `length` bytes from `offset`, or Error(kIntegrity) for an object shorter than that.
  std::vector<uint8_t> get_object_range(const std::string& key, uint64_t offset, uint64_t length);
  // The object's size, or nothing when there is no such object.
  std::optional<uint64_t> head_object(const std::string& key);
  // Every object whose key starts with `prefix`, sorted by key (ListObjectsV2, all pages).
  std::vector<ObjectEntry> list_objects(const std::string& prefix);
  // Succeeds also when there is no such object (S3 answers 204 either way).
  void delete_object(const std::string& key);

  // Requests sent and body bytes uploaded so far, retries included (for reports and benchmarks).
  uint64_t requests_sent() const;
  uint64_t bytes_sent() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace certvault::s3
