// random_bytes() on Windows: BCryptGenRandom with the system's preferred generator.
#include <fmt/format.h>
#include <windows.h>
// bcrypt.h needs the types windows.h declares.
#include <bcrypt.h>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault::os {

void random_bytes(std::span<uint8_t> out) {
  while (!out.empty()) {
    const ULONG chunk = static_cast<ULONG>(std::min<size_t>(out.size(), 1u << 30));
    const NTSTATUS status = BCryptGenRandom(nullptr, out.data(), chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (status < 0) {
      throw Error(ErrorKind::kFailure,
                  fmt::format("BCryptGenRandom failed: NTSTATUS 0x{:08X}", static_cast<uint32_t>(status)));
    }
    out = out.subspan(chunk);
  }
}

}  // namespace certvault::os
