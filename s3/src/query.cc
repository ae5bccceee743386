// SigV4's URI encoding and canonical query string.
#include "certvault/s3/query.h"

#include <algorithm>

namespace certvault::s3 {

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' || byte == '~';
    if (unreserved || (keep_slash && byte == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

std::string canonical_query(QueryParameters parameters) {
  for (auto& [name, value] : parameters) {
    name = uri_encode(name, false);
    value = uri_encode(value, false);
  }
  // Sorted by the encoded names, as SigV4 specifies (byte order).
  std::sort(parameters.begin(), parameters.end());
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

}  // namespace certvault::s3
