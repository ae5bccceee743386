// The one place that knows how an "s3:" location becomes an object store (s3_object_store.cc),
// so location.cc does not depend on the S3 client's options.
#pragma once

#include <string_view>

#include "certvault/repository/location.h"

namespace certvault {

// Parses `spec` ("s3:https://HOST[:PORT]/BUCKET[/PREFIX]") now, throwing Error(kUsage) naming what is
// wrong; the opener reads the credentials and settings of the environment when it is called, with
// `settings` overriding them, and throws Error(kUsage) when the CA bundle named is not a regular file.
RepositoryLocation::StoreOpener s3_store_opener(std::string_view spec, const RemoteSettings& settings);

}  // namespace certvault
