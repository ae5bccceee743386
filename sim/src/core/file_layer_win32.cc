// The file layer on Windows (certadm.dll and casim.exe): the W functions with
// UTF-16 paths, LockFileEx for the lock files, MoveFileExW for renames.
#include <fmt/format.h>
#include <windows.h>

#include <algorithm>
#include <system_error>

#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim::files {
namespace {

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }
constexpr std::intptr_t kNoHandle = -1;  // INVALID_HANDLE_VALUE

std::string system_message(DWORD error) {
  wchar_t* text = nullptr;
  const DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error,
      MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::wstring message = length > 0 && text != nullptr ? std::wstring(text, length) : L"unknown error";
  if (text != nullptr) LocalFree(text);
  while (!message.empty() && (message.back() == L'\n' || message.back() == L'\r' || message.back() == L'.')) {
    message.pop_back();
  }
  return fmt::format("{} (Win32 error {})", path_to_utf8(fs::path(message)), error);
}

[[noreturn]] void fail(const char* operation, const fs::path& path, DWORD error = GetLastError(),
                       int32_t hresult = certadm_sim::kEFail) {
  throw SimError(hresult, fmt::format("{} {}: {}", operation, path_to_utf8(path), system_message(error)));
}

// \\?\ for absolute paths, so CA folders deeper than MAX_PATH work.
std::wstring system_name(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) absolute = path;
  std::wstring text = absolute.lexically_normal().make_preferred().native();
  if (text.starts_with(L"\\\\?\\") || text.starts_with(L"\\\\.\\")) return text;
  if (text.starts_with(L"\\\\")) return L"\\\\?\\UNC\\" + text.substr(2);
  return L"\\\\?\\" + text;
}

HANDLE open_handle(const fs::path& path, DWORD access, DWORD disposition) {
  // Shared for delete too: the engine renames and removes files that readers
  // (a backup in progress) still hold, which POSIX allows.
  return CreateFileW(system_name(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     disposition, FILE_ATTRIBUTE_NORMAL, nullptr);
}

// The range LockFileEx covers: far beyond any content, since such locks are
// mandatory for other handles' reads and writes of the locked bytes.
OVERLAPPED lock_range() {
  OVERLAPPED range{};
  range.OffsetHigh = 0x7FFFFFFF;
  return range;
}

OVERLAPPED at_offset(uint64_t offset) {
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return at;
}

}  // namespace

File::File(const fs::path& path, OpenMode mode) : path_(path) {
  const DWORD access = mode == OpenMode::kRead ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE;
  const DWORD disposition = mode == OpenMode::kCreate ? OPEN_ALWAYS : OPEN_EXISTING;
  const HANDLE handle = open_handle(path, access, disposition);
  if (handle == INVALID_HANDLE_VALUE) {
    const DWORD error = GetLastError();
    const bool missing = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND;
    fail("open", path, error, missing ? certadm_sim::kFileNotFound : certadm_sim::kEFail);
  }
  handle_ = reinterpret_cast<std::intptr_t>(handle);
}

File::File(File&& other) noexcept : handle_(other.handle_), path_(std::move(other.path_)) { other.handle_ = kNoHandle; }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    handle_ = other.handle_;
    path_ = std::move(other.path_);
    other.handle_ = kNoHandle;
  }
  return *this;
}

File::~File() { close(); }

void File::close() {
  if (handle_ != kNoHandle) CloseHandle(as_handle(handle_));
  handle_ = kNoHandle;
}

size_t File::read_at(uint64_t offset, std::span<uint8_t> bytes) const {
  size_t done = 0;
  while (done < bytes.size()) {
    OVERLAPPED at = at_offset(offset + done);
    const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 30));
    DWORD got = 0;
    if (!ReadFile(as_handle(handle_), bytes.data() + done, want, &got, &at)) {
      const DWORD error = GetLastError();
      if (error == ERROR_HANDLE_EOF) break;
      throw SimError(certadm_sim::kReadFault, fmt::format("read {} at offset {}: {}", path_to_utf8(path_),
                                                          offset + done, system_message(error)));
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

void File::read_exact(uint64_t offset, std::span<uint8_t> bytes) const {
  const size_t got = read_at(offset, bytes);
  if (got != bytes.size()) {
    throw SimError(certadm_sim::kReadFault, fmt::format("read {} at offset {}: file ends after {} of {} bytes",
                                                        path_to_utf8(path_), offset, got, bytes.size()));
  }
}

void File::write_at(uint64_t offset, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    OVERLAPPED at = at_offset(offset + done);
    const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 30));
    DWORD put = 0;
    if (!WriteFile(as_handle(handle_), bytes.data() + done, want, &put, &at)) {
      throw SimError(certadm_sim::kEFail, fmt::format("write {} at offset {}: {}", path_to_utf8(path_), offset + done,
                                                      system_message(GetLastError())));
    }
    done += put;
  }
}

uint64_t File::size() const {
  LARGE_INTEGER size{};
  if (!GetFileSizeEx(as_handle(handle_), &size)) fail("stat", path_);
  return static_cast<uint64_t>(size.QuadPart);
}

void File::resize(uint64_t size) {
  FILE_END_OF_FILE_INFO end{};
  end.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  if (!SetFileInformationByHandle(as_handle(handle_), FileEndOfFileInfo, &end, sizeof end)) fail("resize", path_);
}

void File::sync() {
  if (!FlushFileBuffers(as_handle(handle_))) fail("FlushFileBuffers", path_);
}

FileLock::FileLock(const fs::path& lock_file, Kind kind) {
  const HANDLE handle = open_handle(lock_file, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS);
  if (handle == INVALID_HANDLE_VALUE) fail("open lock file", lock_file);
  handle_ = reinterpret_cast<std::intptr_t>(handle);
  OVERLAPPED range = lock_range();
  if (!LockFileEx(handle, kind == Kind::kExclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0, 0, 1, 0, &range)) {
    const DWORD error = GetLastError();
    release();
    fail("lock", lock_file, error);
  }
}

FileLock FileLock::try_exclusive(const fs::path& lock_file) {
  FileLock lock;
  const HANDLE handle = open_handle(lock_file, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS);
  if (handle == INVALID_HANDLE_VALUE) fail("open lock file", lock_file);
  lock.handle_ = reinterpret_cast<std::intptr_t>(handle);
  OVERLAPPED range = lock_range();
  if (!LockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &range)) lock.release();
  return lock;
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(other.handle_) { other.handle_ = kNoHandle; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    handle_ = other.handle_;
    other.handle_ = kNoHandle;
  }
  return *this;
}

FileLock::~FileLock() { release(); }

void FileLock::release() {
  if (handle_ != kNoHandle) CloseHandle(as_handle(handle_));  // closing the handle drops its lock
  handle_ = kNoHandle;
}

void append_text(const fs::path& path, const std::string& text) {
  // FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the end, as O_APPEND.
  const HANDLE handle = CreateFileW(system_name(path).c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                                    FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) fail("open for append", path);
  size_t done = 0;
  while (done < text.size()) {
    DWORD put = 0;
    if (!WriteFile(handle, text.data() + done, static_cast<DWORD>(text.size() - done), &put, nullptr)) {
      const DWORD error = GetLastError();
      CloseHandle(handle);
      fail("append to", path, error);
    }
    done += put;
  }
  CloseHandle(handle);
}

void remove_file(const fs::path& path) {
  if (!DeleteFileW(system_name(path).c_str())) {
    const DWORD error = GetLastError();
    if (error != ERROR_FILE_NOT_FOUND && error != ERROR_PATH_NOT_FOUND) fail("remove", path, error);
  }
}

void rename_file(const fs::path& from, const fs::path& to) {
  if (!MoveFileExW(system_name(from).c_str(), system_name(to).c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    throw SimError(certadm_sim::kEFail, fmt::format("rename {} to {}: {}", path_to_utf8(from), path_to_utf8(to),
                                                    system_message(GetLastError())));
  }
}

unsigned long current_process_id() { return GetCurrentProcessId(); }

}  // namespace casim::files
