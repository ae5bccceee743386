#include "s3_store_opener.h"

#include "certvault/repository/object_store.h"
#include "certvault/s3/location.h"
#include "certvault/s3/options.h"

namespace certvault {

RepositoryLocation::StoreOpener s3_store_opener(std::string_view spec) {
  // A wrong location is a usage error at once; the credentials are read when the store opens, so
  // a location can be parsed (and shown) where no credentials are set.
  const s3::S3Location location = s3::parse_s3_location(spec);
  return [location] { return open_s3_object_store(location, s3::s3_options_from_environment()); };
}

}  // namespace certvault
