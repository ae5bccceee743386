#include "certvault/base/little_endian.h"

#include <fmt/format.h>

#include "certvault/base/error.h"

namespace certvault::le::detail {

void throw_out_of_range(const char* operation, size_t width, size_t offset, size_t size) {
  throw Error(ErrorKind::kInternal,
              fmt::format("little-endian {} of {} bytes at offset {} lies outside a {}-byte buffer", operation, width,
                          offset, size));
}

}  // namespace certvault::le::detail
