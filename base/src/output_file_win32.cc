// output_file.h on Windows: CreateFileW with UTF-16 (long) paths,
// FlushFileBuffers, and MoveFileExW with MOVEFILE_WRITE_THROUGH for the rename.
#include <windows.h>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/output_file.h"
#include "certvault/base/win32_error.h"

namespace certvault {
namespace {

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }
constexpr std::intptr_t kClosed = -1;

void write_all(HANDLE handle, std::span<const uint8_t> bytes, const std::string& what) {
  while (!bytes.empty()) {
    const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size(), 1u << 30));
    DWORD wrote = 0;
    if (!WriteFile(handle, bytes.data(), want, &wrote, nullptr)) os::throw_win32("cannot write " + what);
    bytes = bytes.subspan(wrote);
  }
}

}  // namespace

OutputFile::OutputFile(std::filesystem::path path) : path_(std::move(path)) {
  const HANDLE handle =
      CreateFileW(os::system_path(std::filesystem::absolute(path_)).c_str(), GENERIC_WRITE,
                  FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) os::throw_win32("cannot create " + os::display(path_) + ": CreateFileW");
  fd_ = reinterpret_cast<std::intptr_t>(handle);
}

OutputFile::~OutputFile() {
  if (fd_ != kClosed) {
    CloseHandle(as_handle(fd_));
    os::remove_file(path_, "discard", true);
  }
}

void OutputFile::write(std::span<const uint8_t> bytes) { write_all(as_handle(fd_), bytes, os::display(path_)); }

void OutputFile::commit(const std::optional<std::filesystem::path>& rename_to) {
  const HANDLE handle = as_handle(fd_);
  if (!FlushFileBuffers(handle)) os::throw_win32("FlushFileBuffers " + os::display(path_));
  fd_ = kClosed;
  if (!CloseHandle(handle)) {
    const DWORD error = GetLastError();
    os::remove_file(path_, "discard", true);
    os::throw_win32("CloseHandle " + os::display(path_), error);
  }
  if (rename_to) {
    try {
      os::replace_file(path_, *rename_to, "commit " + os::display(*rename_to));
    } catch (...) {
      os::remove_file(path_, "discard", true);
      throw;
    }
  }
}

void write_standard_output(std::span<const uint8_t> bytes) {
  // The raw handle: no CRT text-mode translation of \n, so a tar stream stays
  // byte-exact.
  write_all(GetStdHandle(STD_OUTPUT_HANDLE), bytes, "standard output");
}

}  // namespace certvault
