// random_bytes() on POSIX systems: getrandom(2).
#include <sys/random.h>

#include <cerrno>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault::os {

void random_bytes(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::getrandom(out.data() + done, out.size() - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno("getrandom");
    }
    done += static_cast<size_t>(got);
  }
}

}  // namespace certvault::os
