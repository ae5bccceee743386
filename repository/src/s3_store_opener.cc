#include "s3_store_opener.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/object_store.h"
#include "certvault/s3/location.h"
#include "certvault/s3/options.h"

namespace certvault {

namespace {

s3::S3Options options_for(const RemoteSettings& settings) {
  auto options = s3::s3_options_from_environment();
  if (!settings.region.empty()) options.region = settings.region;
  if (!settings.ca_bundle.empty()) options.ca_bundle = settings.ca_bundle;
  if (!options.ca_bundle.empty()) {
    // Checked here: libcurl would only say "problem with the SSL CA cert" on the first request.
    std::error_code error;
    const auto status = std::filesystem::status(os::path_from_utf8(options.ca_bundle), error);
    std::string reason;
    if (status.type() == std::filesystem::file_type::not_found) {
      reason = "no such file";
    } else if (error) {
      reason = error.message();
    } else if (!std::filesystem::is_regular_file(status)) {
      reason = "not a regular file";
    }
    if (!reason.empty()) {
      throw Error(ErrorKind::kUsage,
                  fmt::format("S3 CA bundle {} (--ca-bundle or AWS_CA_BUNDLE): {}", options.ca_bundle, reason));
    }
  }
  return options;
}

}  // namespace

RepositoryLocation::StoreOpener s3_store_opener(std::string_view spec, const RemoteSettings& settings) {
  // A wrong location is a usage error at once; the credentials are read when the store opens, so
  // a location can be parsed (and shown) where no credentials are set.
  const s3::S3Location location = s3::parse_s3_location(spec);
  return [location, settings] { return open_s3_object_store(location, options_for(settings)); };
}

}  // namespace certvault
