#include "error_mapping.h"

#include <cstdio>

#include "certvault/base/error.h"
#include "exit_codes.h"

namespace certvault::cli {
namespace {
int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kFailure:
      return kExitFailure;
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kLocked:
      return kExitLocked;
    case ErrorKind::kIntegrity:
      return kExitIntegrity;
    case ErrorKind::kApi:
      return kExitApi;
    case ErrorKind::kRefused:
      return kExitRefused;
    case ErrorKind::kInternal:
      return kExitInternal;
    case ErrorKind::kKeyRejected:
      return kExitKeyRejected;
  }
  return kExitFailure;
}
}  // namespace

int report_exception(const std::exception& e) {
  const auto* error = dynamic_cast<const Error*>(&e);
  if (error != nullptr && error->kind() == ErrorKind::kInternal) {
    // Not the user's doing: say so, so that nobody retries with other arguments.
    std::fprintf(stderr, "certvault: internal error (a bug in certvault, please report it): %s\n", e.what());
  } else {
    std::fprintf(stderr, "certvault: error: %s\n", e.what());
  }
  return error != nullptr ? exit_code_for(error->kind()) : kExitFailure;
}
}  // namespace certvault::cli
