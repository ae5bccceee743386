#include "s3_store_opener.h"

#include <fmt/format.h>

#include "certvault/base/error.h"

namespace certvault {

// Until the S3 client lands (issue 18), an s3: location is refused with a clear message.
RepositoryLocation::StoreOpener s3_store_opener(std::string_view spec) {
  throw Error(ErrorKind::kUsage, fmt::format("--repo {}: this build cannot reach S3 repositories", spec));
}

}  // namespace certvault
