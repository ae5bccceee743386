// file_system.h on Windows: wide (UTF-16) paths through the W functions, long
// paths through the \\?\ prefix, FlushFileBuffers, MoveFileExW with
// MOVEFILE_WRITE_THROUGH, and LockFileEx for both kinds of lock.
#include <fmt/format.h>
#include <windows.h>
// windows.h first: these two need its types.
#include <aclapi.h>
#include <sddl.h>

#include <limits>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"

namespace certvault::os {
namespace {

std::wstring system_name(const std::filesystem::path& path) {
  return system_path(std::filesystem::absolute(path)).native();
}

bool is_missing(DWORD error) { return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND; }

HANDLE open_handle(const std::filesystem::path& path, OpenFor mode) {
  DWORD access = GENERIC_READ | GENERIC_WRITE;
  DWORD disposition = OPEN_EXISTING;
  DWORD flags = FILE_ATTRIBUTE_NORMAL;
  switch (mode) {
    case OpenFor::kRead:
      access = GENERIC_READ;
      break;
    case OpenFor::kReadNoFollow:
      access = GENERIC_READ;
      flags |= FILE_FLAG_OPEN_REPARSE_POINT;
      break;
    case OpenFor::kReadWrite:
      break;
    case OpenFor::kCreateNew:
      disposition = CREATE_NEW;
      break;
    case OpenFor::kCreateOrTruncate:
      disposition = CREATE_ALWAYS;
      break;
    case OpenFor::kReadWriteCreate:
      disposition = OPEN_ALWAYS;
      break;
    case OpenFor::kReadWriteCreateNoFollow:
      disposition = OPEN_ALWAYS;
      flags |= FILE_FLAG_OPEN_REPARSE_POINT;
      break;
  }
  // FILE_SHARE_DELETE lets a reader's open file be renamed over or removed, as on POSIX.
  return CreateFileW(system_name(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     disposition, flags, nullptr);
}

OVERLAPPED at_offset(uint64_t offset) {
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return at;
}

// The repository lock's byte: far beyond any data, so reading and writing the
// lock record at offset 0 is never blocked by a lock (LockFileEx locks are
// mandatory for other handles' reads and writes).
constexpr uint64_t kWholeFileLockOffset = 0x7FFFFFFFull << 32;

class Win32File final : public OpenFile {
 public:
  Win32File(HANDLE handle, std::filesystem::path path, std::string operation)
      : handle_(handle), path_(std::move(path)), operation_(std::move(operation)) {}
  ~Win32File() override {
    if (handle_ != INVALID_HANDLE_VALUE) CloseHandle(handle_);
  }

  const std::filesystem::path& path() const override { return path_; }

  size_t read_at(uint64_t offset, std::span<uint8_t> bytes) override {
    require_open("ReadFile");
    size_t done = 0;
    while (done < bytes.size()) {
      OVERLAPPED at = at_offset(offset + done);
      const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 30));
      DWORD got = 0;
      if (!ReadFile(handle_, bytes.data() + done, want, &got, &at)) {
        if (GetLastError() == ERROR_HANDLE_EOF) break;
        fail(fmt::format("ReadFile {} at offset {}", display(path_), offset + done));
      }
      if (got == 0) break;
      done += got;
    }
    return done;
  }

  void write_at(uint64_t offset, std::span<const uint8_t> bytes) override {
    require_open("WriteFile");
    size_t done = 0;
    while (done < bytes.size()) {
      OVERLAPPED at = at_offset(offset + done);
      const DWORD want = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 30));
      DWORD wrote = 0;
      if (!WriteFile(handle_, bytes.data() + done, want, &wrote, &at)) {
        fail(fmt::format("WriteFile {} at offset {}", display(path_), offset + done));
      }
      done += wrote;
    }
  }

  uint64_t size() override {
    require_open("GetFileSizeEx");
    LARGE_INTEGER size{};
    if (!GetFileSizeEx(handle_, &size)) fail(fmt::format("GetFileSizeEx {}", display(path_)));
    return static_cast<uint64_t>(size.QuadPart);
  }

  void truncate(uint64_t size) override {
    require_open("SetFileInformationByHandle");
    FILE_END_OF_FILE_INFO end{};
    end.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
    if (!SetFileInformationByHandle(handle_, FileEndOfFileInfo, &end, sizeof end)) {
      fail(fmt::format("truncate {} to {} bytes", display(path_), size));
    }
  }

  void sync() override {
    require_open("FlushFileBuffers");
    if (!FlushFileBuffers(handle_)) fail(fmt::format("FlushFileBuffers {}", display(path_)));
  }

  void close() override {
    require_open("CloseHandle");
    const HANDLE handle = handle_;
    handle_ = INVALID_HANDLE_VALUE;
    if (!CloseHandle(handle)) fail(fmt::format("CloseHandle {}", display(path_)));
  }

  bool try_lock_file(LockKind kind) override { return try_lock_range(kWholeFileLockOffset, 1, kind); }

  bool try_lock_range(uint64_t offset, uint64_t length, LockKind kind) override {
    require_open("LockFileEx");
    OVERLAPPED range = at_offset(offset);
    const DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (kind == LockKind::kExclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0);
    if (LockFileEx(handle_, flags, 0, static_cast<DWORD>(length), static_cast<DWORD>(length >> 32), &range)) {
      return true;
    }
    const DWORD error = GetLastError();
    if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) return false;
    fail(fmt::format("LockFileEx {} bytes at offset {} of {}", length, offset, display(path_)), error);
  }

  void unlock_range(uint64_t offset, uint64_t length) override {
    require_open("UnlockFileEx");
    OVERLAPPED range = at_offset(offset);
    if (!UnlockFileEx(handle_, 0, static_cast<DWORD>(length), static_cast<DWORD>(length >> 32), &range)) {
      fail(fmt::format("UnlockFileEx {} bytes at offset {} of {}", length, offset, display(path_)));
    }
  }

  FileIdentity identity() override {
    require_open("GetFileInformationByHandle");
    BY_HANDLE_FILE_INFORMATION information{};
    if (!GetFileInformationByHandle(handle_, &information)) {
      fail(fmt::format("GetFileInformationByHandle {}", display(path_)));
    }
    FileIdentity identity;
    identity.device = information.dwVolumeSerialNumber;
    identity.file = (static_cast<uint64_t>(information.nFileIndexHigh) << 32) | information.nFileIndexLow;
    identity.links = information.nNumberOfLinks;
    const DWORD attributes = information.dwFileAttributes;
    if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
      identity.type = EntryType::kSymlink;
    } else if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
      identity.type = EntryType::kFolder;
    } else {
      // A pipe or a character device (a console, COM1) is not a file to read to its end.
      identity.type = GetFileType(handle_) == FILE_TYPE_DISK ? EntryType::kFile : EntryType::kOther;
    }
    return identity;
  }

 private:
  void require_open(const char* call) const {
    if (handle_ == INVALID_HANDLE_VALUE) {
      throw Error(ErrorKind::kFailure,
                  fmt::format("{}: {} {}: the file is already closed", operation_, call, display(path_)));
    }
  }

  [[noreturn]] void fail(const std::string& what, DWORD error = GetLastError()) const {
    throw_win32(fmt::format("{}: {}", operation_, what), error);
  }

  HANDLE handle_;
  std::filesystem::path path_;
  std::string operation_;
};

EntryType type_of(DWORD attributes) {
  if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return EntryType::kSymlink;
  if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return EntryType::kFolder;
  if ((attributes & FILE_ATTRIBUTE_DEVICE) != 0) return EntryType::kOther;
  return EntryType::kFile;
}

class Win32FileSystem final : public FileSystem {
 public:
  void rename(const std::filesystem::path& from, const std::filesystem::path& to,
              const std::string& operation) override {
    // WRITE_THROUGH: the call returns only once the rename is on disk, which is
    // what fsyncing the folder achieves on POSIX.
    if (!MoveFileExW(system_name(from).c_str(), system_name(to).c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
      throw_win32(fmt::format("{}: MoveFileExW {} to {}", operation, display(from), display(to)));
    }
  }

  void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) override {
    if (!DeleteFileW(system_name(path).c_str())) {
      const DWORD error = GetLastError();
      if (missing_ok && is_missing(error)) return;
      throw_win32(fmt::format("{}: DeleteFileW {}", operation, display(path)), error);
    }
  }

  void create_folder(const std::filesystem::path& path, const std::string& operation) override {
    if (CreateDirectoryW(system_name(path).c_str(), nullptr)) return;
    const DWORD error = GetLastError();
    if (error == ERROR_ALREADY_EXISTS) {
      const DWORD attributes = GetFileAttributesW(system_name(path).c_str());
      if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return;
    }
    throw_win32(fmt::format("{}: CreateDirectoryW {}", operation, display(path)), error);
  }

  void remove_folder(const std::filesystem::path& path, const std::string& operation) override {
    if (!RemoveDirectoryW(system_name(path).c_str())) {
      throw_win32(fmt::format("{}: RemoveDirectoryW {}", operation, display(path)));
    }
  }

  void sync_folder(const std::filesystem::path&, const std::string&) override {
    // Nothing to do: NTFS journals its metadata (names, renames, new folders)
    // itself, and Windows offers no way to flush a folder — FlushFileBuffers on
    // a folder handle needs write access and is not a documented barrier. A
    // rename is made durable by MOVEFILE_WRITE_THROUGH in rename().
  }

  std::vector<FolderEntry> list_folder(const std::filesystem::path& path, const std::string& operation) override {
    WIN32_FIND_DATAW found{};
    const std::wstring pattern = system_name(path) + L"\\*";
    const HANDLE search = FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &found, FindExSearchNameMatch, nullptr, 0);
    if (search == INVALID_HANDLE_VALUE) throw_win32(fmt::format("{}: FindFirstFileExW {}", operation, display(path)));
    std::vector<FolderEntry> entries;
    do {
      const std::wstring name = found.cFileName;
      if (name == L"." || name == L"..") continue;
      entries.push_back({std::filesystem::path(name), type_of(found.dwFileAttributes)});
    } while (FindNextFileW(search, &found));
    const DWORD error = GetLastError();
    FindClose(search);
    if (error != ERROR_NO_MORE_FILES) throw_win32(fmt::format("{}: FindNextFileW {}", operation, display(path)), error);
    return entries;
  }

  std::optional<uint64_t> free_space(const std::filesystem::path& path) override {
    ULARGE_INTEGER available{};
    if (!GetDiskFreeSpaceExW(system_name(path).c_str(), &available, nullptr, nullptr)) return std::nullopt;
    return static_cast<uint64_t>(available.QuadPart);
  }

  std::optional<FileStatus> status(const std::filesystem::path& path, bool follow_symlinks) override {
    if (!follow_symlinks) {
      WIN32_FILE_ATTRIBUTE_DATA data{};
      if (!GetFileAttributesExW(system_name(path).c_str(), GetFileExInfoStandard, &data)) {
        const DWORD error = GetLastError();
        if (is_missing(error)) return std::nullopt;
        throw_win32(fmt::format("status of {}: GetFileAttributesExW", display(path)), error);
      }
      const EntryType type = type_of(data.dwFileAttributes);
      const uint64_t size = (static_cast<uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
      return FileStatus{type, type == EntryType::kFile ? size : 0, std::nullopt};
    }
    // Opening the path follows a symlink, as stat(2) does.
    const HANDLE handle = CreateFileW(system_name(path).c_str(), FILE_READ_ATTRIBUTES,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                      FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (handle == INVALID_HANDLE_VALUE) {
      const DWORD error = GetLastError();
      if (is_missing(error)) return std::nullopt;
      throw_win32(fmt::format("status of {}: CreateFileW", display(path)), error);
    }
    BY_HANDLE_FILE_INFORMATION information{};
    const bool ok = GetFileInformationByHandle(handle, &information);
    const DWORD error = GetLastError();
    CloseHandle(handle);
    if (!ok) throw_win32(fmt::format("status of {}: GetFileInformationByHandle", display(path)), error);
    const EntryType type = type_of(information.dwFileAttributes & ~FILE_ATTRIBUTE_REPARSE_POINT);
    const uint64_t size = (static_cast<uint64_t>(information.nFileSizeHigh) << 32) | information.nFileSizeLow;
    return FileStatus{type, type == EntryType::kFile ? size : 0, std::nullopt};
  }

  void make_private(const std::filesystem::path& path, const std::string& operation) override {
    const DWORD attributes = GetFileAttributesW(system_name(path).c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES) {
      throw_win32(fmt::format("{}: GetFileAttributesW {}", operation, display(path)));
    }
    // A file inherits its folder's ACL; a reparse point is never followed.
    if ((attributes & FILE_ATTRIBUTE_DIRECTORY) == 0 || (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) return;
    // Protected (P: nothing inherited from above), inherited by every file and
    // folder created inside (OICI): full control for SYSTEM (SY), the local
    // Administrators (BA) and Backup Operators (BO), nobody else.
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;BO)",
                                                              SDDL_REVISION_1, &descriptor, nullptr)) {
      throw_win32(fmt::format("{}: ConvertStringSecurityDescriptorToSecurityDescriptorW", operation));
    }
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    DWORD error = ERROR_SUCCESS;
    if (!GetSecurityDescriptorDacl(descriptor, &present, &dacl, &defaulted)) error = GetLastError();
    std::wstring name = system_name(path);
    if (error == ERROR_SUCCESS) {
      error = SetNamedSecurityInfoW(name.data(), SE_FILE_OBJECT,
                                    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                    dacl, nullptr);
    }
    LocalFree(descriptor);
    if (error != ERROR_SUCCESS) {
      throw_win32(fmt::format("{}: SetNamedSecurityInfoW {} (an ACL for SYSTEM, Administrators and Backup Operators)",
                              operation, display(path)),
                  error);
    }
  }

 protected:
  std::unique_ptr<OpenFile> open_file(const std::filesystem::path& path, OpenFor mode, const std::string& operation,
                                      std::string* failure) override {
    const HANDLE handle = open_handle(path, mode);
    if (handle == INVALID_HANDLE_VALUE) {
      if (failure == nullptr) throw_win32(fmt::format("{}: CreateFileW {}", operation, display(path)));
      *failure = win32_message(GetLastError());
      return nullptr;
    }
    return std::make_unique<Win32File>(handle, path, operation);
  }
};

}  // namespace

FileSystem& os_file_system() {
  static Win32FileSystem file_system;
  return file_system;
}

}  // namespace certvault::os
