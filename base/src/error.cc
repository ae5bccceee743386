#include "certvault/base/error.h"

#include <cerrno>
#include <cstring>

namespace certvault {
void throw_errno(const std::string& what) {
  const int saved = errno;
  throw Error(ErrorKind::kFailure, what + ": " + std::strerror(saved) + " (errno " + std::to_string(saved) + ")");
}
}  // namespace certvault
