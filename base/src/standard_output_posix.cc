// write_standard_output() on POSIX systems.
#include <unistd.h>

#include <cerrno>

#include "certvault/base/error.h"
#include "certvault/base/output_file.h"

namespace certvault {

void write_standard_output(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write standard output");
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

}  // namespace certvault
