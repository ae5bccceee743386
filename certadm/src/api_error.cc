#include "certvault/certadm/api_error.h"

#include <fmt/format.h>

namespace certvault::certadm {

ApiError::ApiError(std::string function, const std::string& call, HRESULT hresult)
    : Error(ErrorKind::kApi, fmt::format("{} failed: {}", call, describe_hresult(hresult))),
      function_(std::move(function)),
      hresult_(hresult) {}

}  // namespace certvault::certadm
