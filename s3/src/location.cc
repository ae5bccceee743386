// parse_s3_location: the text of an S3 repository location, checked part by part so that the
// error says which part is wrong.
#include "certvault/s3/location.h"

#include <fmt/format.h>

#include <charconv>

#include "certvault/base/error.h"

namespace certvault::s3 {
namespace {

constexpr std::string_view kForm = "s3:https://HOST[:PORT]/BUCKET[/PREFIX]";

[[noreturn]] void refuse(std::string_view text, const std::string& why) {
  throw Error(ErrorKind::kUsage, fmt::format("invalid S3 location \"{}\": {} (expected {})", text, why, kForm));
}

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z'); }

void check_host(std::string_view text, std::string_view host) {
  if (host.empty()) refuse(text, "the host is empty");
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) refuse(text, "an IPv6 host must be written [ADDRESS]");
    for (char c : host.substr(1, host.size() - 2)) {
      if (!(is_alnum(c) || c == ':' || c == '.')) refuse(text, "the IPv6 host has a character outside [0-9a-fA-F:.]");
    }
    return;
  }
  for (char c : host) {
    if (!(is_alnum(c) || c == '.' || c == '-')) {
      refuse(text, fmt::format("the host \"{}\" has a character outside [A-Za-z0-9.-]", host));
    }
  }
}

void check_bucket(std::string_view text, std::string_view bucket) {
  if (bucket.empty()) refuse(text, "the bucket is missing");
  if (bucket.size() < 3 || bucket.size() > 63)
    refuse(text, fmt::format("the bucket \"{}\" is not 3-63 characters long", bucket));
  for (char c : bucket) {
    if (!(is_lower_or_digit(c) || c == '.' || c == '-')) {
      refuse(text, fmt::format("the bucket \"{}\" has a character outside [a-z0-9.-]", bucket));
    }
  }
  if (!is_lower_or_digit(bucket.front()) || !is_lower_or_digit(bucket.back())) {
    refuse(text, fmt::format("the bucket \"{}\" must begin and end with a letter or digit", bucket));
  }
}

void check_prefix(std::string_view text, std::string_view prefix) {
  size_t start = 0;
  while (start <= prefix.size()) {
    size_t end = prefix.find('/', start);
    if (end == std::string_view::npos) end = prefix.size();
    const auto segment = prefix.substr(start, end - start);
    if (segment.empty()) refuse(text, "the prefix has an empty segment (\"//\")");
    if (segment == "." || segment == "..") refuse(text, "the prefix has a \".\" or \"..\" segment");
    for (char c : segment) {
      if (!(is_alnum(c) || c == '.' || c == '_' || c == '-')) {
        refuse(text, fmt::format("the prefix \"{}\" has a character outside [A-Za-z0-9._-/]", prefix));
      }
    }
    start = end + 1;
  }
}

}  // namespace

std::string S3Location::endpoint() const {
  // fmt rather than operator+ on a literal: GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
  return port == 0 ? fmt::format("{}://{}", https ? "https" : "http", host)
                   : fmt::format("{}://{}:{}", https ? "https" : "http", host, port);
}

std::string S3Location::key_of(std::string_view name) const {
  if (prefix.empty()) return std::string(name);
  return fmt::format("{}/{}", prefix, name);
}

std::string S3Location::to_string() const {
  return prefix.empty() ? fmt::format("s3:{}/{}", endpoint(), bucket)
                        : fmt::format("s3:{}/{}/{}", endpoint(), bucket, prefix);
}

bool is_s3_location(std::string_view text) { return text.starts_with("s3:"); }

S3Location parse_s3_location(std::string_view text) {
  if (!is_s3_location(text)) refuse(text, "it does not start with \"s3:\"");
  std::string_view rest = text.substr(3);
  S3Location location;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    location.https = false;
    rest.remove_prefix(7);
  } else {
    refuse(text, "the scheme must be https:// or http://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos)
    refuse(text, "a query or fragment (\"?\", \"#\") is not allowed");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (authority.find('@') != std::string_view::npos) {
    refuse(text, "credentials do not belong in the location; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  // The port follows the last ':' outside an IPv6 address's brackets.
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    const auto port_text = authority.substr(colon + 1);
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      refuse(text, fmt::format("the port \"{}\" is not a number from 1 to 65535", port_text));
    }
    location.port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  check_host(text, authority);
  location.host = std::string(authority);
  while (path.ends_with('/')) path.remove_suffix(1);
  const auto bucket_end = path.find('/');
  const auto bucket = path.substr(0, bucket_end);
  check_bucket(text, bucket);
  location.bucket = std::string(bucket);
  if (bucket_end != std::string_view::npos) {
    const auto prefix = path.substr(bucket_end + 1);
    check_prefix(text, prefix);
    location.prefix = std::string(prefix);
  }
  return location;
}

}  // namespace certvault::s3
