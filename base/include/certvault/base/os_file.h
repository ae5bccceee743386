// The operating system's files, behind one small interface: the only place in
// certvault that calls POSIX (os_file_posix.cc) or Win32 (os_file_win32.cc)
// file functions.
//
// Contract: every failure throws Error(kFailure) naming `operation`, the
// system call, the path (and offset where one applies) and the system's
// reason (strerror and errno, or the Win32 message and error number). Paths
// are std::filesystem::path, so on Windows they are UTF-16 and may be longer
// than MAX_PATH (the \\?\ prefix is added where the path is absolute).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace certvault::os {

enum class OpenFor {
  kRead,              // an existing file, read-only
  kReadNoFollow,      // as kRead, but a symlink (reparse point) is opened as itself, never followed
  kCreateNew,         // a new file, write-only; fails if it exists
  kCreateOrTruncate,  // write-only, emptied or created
  kReadWriteCreate,   // read-write, created if missing, never truncated
};

class File {
 public:
  File() = default;
  File(const std::filesystem::path& path, OpenFor mode, const std::string& operation);
  // As the constructor, but a failure to open returns false with the system's
  // reason alone in `reason` ("No such file or directory").
  static bool try_open(const std::filesystem::path& path, OpenFor mode, const std::string& operation, File& file,
                       std::string& reason);
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();  // closes without reporting errors; call close() to see them

  bool is_open() const { return handle_ != kClosed; }
  const std::filesystem::path& path() const { return path_; }

  // Reads from the current position; returns how many bytes were read (0 at the end).
  size_t read(std::span<uint8_t> bytes);
  // Reads at `offset` without moving the position; fewer bytes only at the end.
  size_t read_at(uint64_t offset, std::span<uint8_t> bytes);
  // Writes everything at the current position.
  void write_all(std::span<const uint8_t> bytes);
  uint64_t size();
  void truncate(uint64_t size);
  // Makes the file's contents durable (fsync / FlushFileBuffers).
  void sync();
  void close();

  // The native descriptor or HANDLE (for locking in repository_lock_*.cc).
  std::intptr_t native() const { return handle_; }

 private:
  static constexpr std::intptr_t kClosed = -1;
  std::intptr_t handle_ = kClosed;
  std::filesystem::path path_;
  std::string operation_;
};

// Renames `from` over `to`, replacing it, durably as far as the system allows
// (rename(2); MoveFileExW with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
void replace_file(const std::filesystem::path& from, const std::filesystem::path& to, const std::string& operation);

// Removes a file; a missing file is an error unless `missing_ok`.
void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok = false);

// Creates one folder; an existing folder is not an error.
void create_folder(const std::filesystem::path& path, const std::string& operation);

// Makes a folder's entries (renames, removals, new sub-folders) durable.
void sync_folder(const std::filesystem::path& folder, const std::string& operation);

// Is `path` (or what a symlink there names) an existing regular file? Its size through `size`.
bool regular_file_size(const std::filesystem::path& path, uint64_t& size);

// Cryptographically strong random bytes (getrandom / BCryptGenRandom).
void random_bytes(std::span<uint8_t> out);

// The path as the system's calls take it: on Windows an absolute path gets the
// \\?\ prefix so that paths beyond MAX_PATH work; elsewhere unchanged.
std::filesystem::path system_path(const std::filesystem::path& path);

// The path in UTF-8 for messages.
std::string display(const std::filesystem::path& path);

// A path from UTF-8 text (names from the Certadm API, snapshots, the catalog). Never
// std::filesystem::path(std::string): on Windows that decodes the bytes in a legacy code page.
std::filesystem::path path_from_utf8(std::string_view text);

}  // namespace certvault::os
