// S3Options from the environment variables every AWS tool reads, and the addressing decision.
#include "certvault/s3/options.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <system_error>

#include "certvault/base/error.h"

namespace certvault::s3 {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

bool is_ip_address(const std::string& host) {
  if (host.starts_with('[')) return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

S3Options s3_options_from_environment() {
  S3Options options;
  if (auto region = environment("AWS_DEFAULT_REGION"); !region.empty()) {
    options.region = region;
  } else if (region = environment("AWS_REGION"); !region.empty()) {
    options.region = region;
  }
  options.access_key_id = environment("AWS_ACCESS_KEY_ID");
  options.secret_access_key = environment("AWS_SECRET_ACCESS_KEY");
  options.session_token = environment("AWS_SESSION_TOKEN");
  options.ca_bundle = environment("AWS_CA_BUNDLE");  // as the AWS command-line tools read it
  if (const auto attempts = environment("CERTVAULT_S3_MAX_ATTEMPTS"); !attempts.empty()) {
    // Fewer for a link where failing fast is better than waiting; more for a flaky one.
    int value = 0;
    const auto [end, error] = std::from_chars(attempts.data(), attempts.data() + attempts.size(), value);
    if (error != std::errc() || end != attempts.data() + attempts.size() || value < 1 || value > 100) {
      throw Error(ErrorKind::kUsage,
                  fmt::format("CERTVAULT_S3_MAX_ATTEMPTS '{}': not a whole number from 1 to 100", attempts));
    }
    options.max_attempts = value;
  }
  if (options.access_key_id.empty() != options.secret_access_key.empty()) {
    throw Error(ErrorKind::kUsage,
                fmt::format("S3 credentials: {} is set but {} is not; set both",
                            options.access_key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                            options.access_key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"));
  }
  return options;
}

bool use_path_style(const S3Location& location, Addressing addressing) {
  switch (addressing) {
    case Addressing::kPathStyle:
      return true;
    case Addressing::kVirtualHosted:
      return false;
    case Addressing::kAuto:
      break;
  }
  if (is_ip_address(location.host) || location.host == "localhost") return true;
  if (!location.host.ends_with(".amazonaws.com")) return true;
  // A bucket with dots as a host name would not match the service's wildcard certificate.
  return location.https && location.bucket.find('.') != std::string::npos;
}

}  // namespace certvault::s3
