// os_file.h on Windows: wide (UTF-16) paths through the W functions, long
// paths through the \\?\ prefix, FlushFileBuffers and MoveFileExW for the
// commit protocol.
#include <fmt/format.h>
#include <windows.h>
// bcrypt.h needs the types windows.h declares.
#include <bcrypt.h>

#include <limits>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"

namespace certvault::os {

std::string win32_message(DWORD error) {
  wchar_t* text = nullptr;
  const DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error,
      MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::wstring message = length > 0 && text != nullptr ? std::wstring(text, length) : L"unknown error";
  if (text != nullptr) LocalFree(text);
  while (!message.empty() && (message.back() == L'\n' || message.back() == L'\r' || message.back() == L'.')) {
    message.pop_back();
  }
  return fmt::format("{} (Win32 error {})", display(std::filesystem::path(message)), error);
}

void throw_win32(const std::string& what, DWORD error) {
  throw Error(ErrorKind::kFailure, what + ": " + win32_message(error));
}

std::filesystem::path system_path(const std::filesystem::path& path) {
  const std::wstring& text = path.native();
  // Relative paths, and paths already in the \\?\ or \\.\ namespace, are left alone.
  if (!path.is_absolute() || text.starts_with(L"\\\\?\\") || text.starts_with(L"\\\\.\\")) return path;
  // \\?\ turns off the Win32 path parsing, so the path must already be in
  // canonical form: backslashes, no "." or ".." parts.
  std::wstring canonical = path.lexically_normal().make_preferred().native();
  if (canonical.starts_with(L"\\\\")) return std::filesystem::path(L"\\\\?\\UNC\\" + canonical.substr(2));
  return std::filesystem::path(L"\\\\?\\" + canonical);
}

namespace {

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }

std::wstring system_name(const std::filesystem::path& path) {
  return system_path(std::filesystem::absolute(path)).native();
}

}  // namespace

namespace {

HANDLE open_handle(const std::filesystem::path& path, OpenFor mode) {
  DWORD access = GENERIC_READ;
  DWORD disposition = OPEN_EXISTING;
  DWORD flags = FILE_ATTRIBUTE_NORMAL;
  switch (mode) {
    case OpenFor::kRead:
      break;
    case OpenFor::kReadNoFollow:
      flags |= FILE_FLAG_OPEN_REPARSE_POINT;
      break;
    case OpenFor::kCreateNew:
      access = GENERIC_WRITE, disposition = CREATE_NEW;
      break;
    case OpenFor::kCreateOrTruncate:
      access = GENERIC_WRITE, disposition = CREATE_ALWAYS;
      break;
    case OpenFor::kReadWriteCreate:
      access = GENERIC_READ | GENERIC_WRITE, disposition = OPEN_ALWAYS;
      break;
  }
  // FILE_SHARE_DELETE lets a reader's open file be renamed over or removed, as on POSIX.
  return CreateFileW(system_name(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     disposition, flags, nullptr);
}

}  // namespace

File::File(const std::filesystem::path& path, OpenFor mode, const std::string& operation)
    : path_(path), operation_(operation) {
  const HANDLE handle = open_handle(path, mode);
  if (handle == INVALID_HANDLE_VALUE) throw_win32(fmt::format("{}: CreateFileW {}", operation, display(path)));
  handle_ = reinterpret_cast<std::intptr_t>(handle);
}

bool File::try_open(const std::filesystem::path& path, OpenFor mode, const std::string& operation, File& file,
                    std::string& reason) {
  const HANDLE handle = open_handle(path, mode);
  if (handle == INVALID_HANDLE_VALUE) {
    reason = win32_message(GetLastError());
    return false;
  }
  File opened;
  opened.handle_ = reinterpret_cast<std::intptr_t>(handle);
  opened.path_ = path;
  opened.operation_ = operation;
  file = std::move(opened);
  return true;
}

size_t File::read(std::span<uint8_t> bytes) {
  const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size(), std::numeric_limits<DWORD>::max()));
  DWORD got = 0;
  if (!ReadFile(as_handle(handle_), bytes.data(), want, &got, nullptr)) {
    throw_win32(fmt::format("{}: ReadFile {}", operation_, display(path_)));
  }
  return got;
}

size_t File::read_at(uint64_t offset, std::span<uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    OVERLAPPED at{};
    const uint64_t position = offset + done;
    at.Offset = static_cast<DWORD>(position);
    at.OffsetHigh = static_cast<DWORD>(position >> 32);
    const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 30));
    DWORD got = 0;
    if (!ReadFile(as_handle(handle_), bytes.data() + done, want, &got, &at)) {
      if (GetLastError() == ERROR_HANDLE_EOF) break;
      throw_win32(fmt::format("{}: ReadFile {} at offset {}", operation_, display(path_), position));
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

void File::write_all(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size(), 1u << 30));
    DWORD wrote = 0;
    if (!WriteFile(as_handle(handle_), bytes.data(), want, &wrote, nullptr)) {
      throw_win32(fmt::format("{}: WriteFile {}", operation_, display(path_)));
    }
    bytes = bytes.subspan(wrote);
  }
}

uint64_t File::size() {
  LARGE_INTEGER size{};
  if (!GetFileSizeEx(as_handle(handle_), &size)) {
    throw_win32(fmt::format("{}: GetFileSizeEx {}", operation_, display(path_)));
  }
  return static_cast<uint64_t>(size.QuadPart);
}

void File::truncate(uint64_t size) {
  FILE_END_OF_FILE_INFO end{};
  end.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  if (!SetFileInformationByHandle(as_handle(handle_), FileEndOfFileInfo, &end, sizeof end)) {
    throw_win32(fmt::format("{}: truncate {} to {} bytes", operation_, display(path_), size));
  }
}

void File::sync() {
  if (!FlushFileBuffers(as_handle(handle_))) {
    throw_win32(fmt::format("{}: FlushFileBuffers {}", operation_, display(path_)));
  }
}

void File::close() {
  const HANDLE handle = as_handle(handle_);
  handle_ = kClosed;
  if (!CloseHandle(handle)) throw_win32(fmt::format("{}: CloseHandle {}", operation_, display(path_)));
}

void replace_file(const std::filesystem::path& from, const std::filesystem::path& to, const std::string& operation) {
  // WRITE_THROUGH: the call returns only once the rename is on disk, which is
  // what fsyncing the folder achieves on POSIX.
  if (!MoveFileExW(system_name(from).c_str(), system_name(to).c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    throw_win32(fmt::format("{}: MoveFileExW {} to {}", operation, display(from), display(to)));
  }
}

void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) {
  if (!DeleteFileW(system_name(path).c_str())) {
    const DWORD error = GetLastError();
    if (missing_ok && (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)) return;
    throw_win32(fmt::format("{}: DeleteFileW {}", operation, display(path)), error);
  }
}

void create_folder(const std::filesystem::path& path, const std::string& operation) {
  if (!CreateDirectoryW(system_name(path).c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS) {
    throw_win32(fmt::format("{}: CreateDirectoryW {}", operation, display(path)));
  }
}

void sync_folder(const std::filesystem::path&, const std::string&) {
  // Nothing to do: NTFS journals its metadata (names, renames, new folders)
  // itself, and Windows offers no way to flush a folder — FlushFileBuffers on
  // a folder handle needs write access and is not a documented barrier. The
  // rename itself is made durable by MOVEFILE_WRITE_THROUGH in replace_file.
}

bool regular_file_size(const std::filesystem::path& path, uint64_t& size) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!GetFileAttributesExW(system_name(path).c_str(), GetFileExInfoStandard, &data)) return false;
  if ((data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return false;
  size = (static_cast<uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  return true;
}

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
