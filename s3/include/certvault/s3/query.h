// URI encoding as AWS Signature Version 4 wants it. libcurl's CURLOPT_AWS_SIGV4 (Debian 12's
// 7.88) signs the path and query string exactly as they appear in the URL, so the URL must already
// be in canonical form: every query parameter encoded, sorted by name (then value), each written
// "name=value" even when the value is empty.
//
// Contract: uri_encode() keeps the unreserved characters A-Z a-z 0-9 - . _ ~ (and '/' when
// keep_slash), and writes every other byte as %XX with upper-case hex digits.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certvault::s3 {

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

std::string uri_encode(std::string_view text, bool keep_slash);
// "a=1&b=&c=x%2Fy": encoded, sorted, joined; empty for no parameters.
std::string canonical_query(QueryParameters parameters);

}  // namespace certvault::s3
