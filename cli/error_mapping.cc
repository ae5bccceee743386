#include "error_mapping.h"

#include <cstdio>
#include <stdexcept>

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
  }
  return kExitFailure;
}
}  // namespace

int report_exception(const std::exception& e) {
  std::fprintf(stderr, "certvault: error: %s\n", e.what());
  if (const auto* error = dynamic_cast<const Error*>(&e)) return exit_code_for(error->kind());
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) return kExitUsage;
  return kExitFailure;
}
}  // namespace certvault::cli
