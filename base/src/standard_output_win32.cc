// write_standard_output() on Windows.
#include <windows.h>

#include "certvault/base/output_file.h"
#include "certvault/base/win32_error.h"

namespace certvault {

void write_standard_output(std::span<const uint8_t> bytes) {
  // The raw handle: no CRT text-mode translation of \n, so a tar stream stays
  // byte-exact.
  const HANDLE handle = GetStdHandle(STD_OUTPUT_HANDLE);
  while (!bytes.empty()) {
    const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size(), 1u << 30));
    DWORD wrote = 0;
    if (!WriteFile(handle, bytes.data(), want, &wrote, nullptr)) os::throw_win32("cannot write standard output");
    bytes = bytes.subspan(wrote);
  }
}

}  // namespace certvault
