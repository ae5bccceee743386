// Where an S3 repository lives: `s3:https://HOST[:PORT]/BUCKET[/PREFIX]` (or `s3:http://` for a
// gateway on the local network, e.g. a test Ceph RGW).
//
// Contract:
// - parse_s3_location() accepts exactly that form and throws Error(kUsage) naming the text and the
//   part that is wrong otherwise: no user name or password in the URL (credentials come from the
//   environment, certvault/s3/options.h), no query or fragment, a host of [A-Za-z0-9.-] or an IPv6
//   address in brackets, a port 1-65535, a bucket name as S3 requires it (3-63 characters of
//   [a-z0-9.-], beginning and ending with a letter or digit), and a prefix whose '/'-separated
//   segments are non-empty runs of [A-Za-z0-9._-] other than "." and "..". A trailing '/' is
//   ignored.
// - is_s3_location() says only whether the text starts with "s3:" (the repository option chooses
//   the store by it); the full check is parse_s3_location()'s.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace certvault::s3 {

struct S3Location {
  bool https = true;
  std::string host;   // as written; an IPv6 address keeps its brackets
  uint16_t port = 0;  // 0: the scheme's default (443 / 80)
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; empty: the bucket's root

  // "https://host[:port]": the service endpoint, without the bucket.
  std::string endpoint() const;
  // The key of object `name` under the prefix: "PREFIX/name", or "name" without a prefix.
  std::string key_of(std::string_view name) const;
  // "s3:https://host[:port]/bucket[/prefix]", the canonical text of the location.
  std::string to_string() const;
};

bool is_s3_location(std::string_view text);
S3Location parse_s3_location(std::string_view text);

}  // namespace certvault::s3
