// The sim's only door to the operating system's files: file_layer_posix.cc and,
// for certadm.dll, file_layer_win32.cc are the only sources with system calls.
//
// Contract: every failure throws SimError (kFileNotFound when a file to open does
// not exist, kReadFault for reads, kEFail otherwise) naming the operation, the
// path and the system's reason. Paths are std::filesystem::path built from UTF-8
// (see utf.h), never from the process's narrow code page.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace casim::files {

namespace fs = std::filesystem;

enum class OpenMode { kRead, kReadWrite, kCreate };  // kCreate: read-write, created if missing

class File {
 public:
  File() = default;
  File(const fs::path& path, OpenMode mode);
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  bool is_open() const { return handle_ >= 0; }
  const fs::path& path() const { return path_; }
  // Reads up to bytes.size() at offset; returns how many were read (less only at end of file).
  size_t read_at(uint64_t offset, std::span<uint8_t> bytes) const;
  // Reads exactly bytes.size() or throws.
  void read_exact(uint64_t offset, std::span<uint8_t> bytes) const;
  void write_at(uint64_t offset, std::span<const uint8_t> bytes);
  uint64_t size() const;
  void resize(uint64_t size);
  void sync();
  void close();

 private:
  std::intptr_t handle_ = -1;  // a file descriptor, or a HANDLE on Windows
  fs::path path_;
};

// An advisory lock on a lock file, held for the object's lifetime. Locks of the
// same file conflict across processes and across separate objects in one process.
class FileLock {
 public:
  enum class Kind { kShared, kExclusive };
  // Blocks until the lock is granted.
  FileLock(const fs::path& lock_file, Kind kind);
  // Tries once; check held().
  static FileLock try_exclusive(const fs::path& lock_file);
  // A lock object that holds nothing.
  static FileLock none() { return FileLock(); }
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();
  bool held() const { return handle_ >= 0; }
  void release();

 private:
  FileLock() = default;
  std::intptr_t handle_ = -1;
};

std::string read_text(const fs::path& path);
std::vector<uint8_t> read_bytes(const fs::path& path);
// Writes to a temporary name in the same folder and renames it over `path`.
void write_text_atomic(const fs::path& path, const std::string& text);
void write_bytes(const fs::path& path, std::span<const uint8_t> bytes);
void append_text(const fs::path& path, const std::string& text);
bool exists(const fs::path& path);
void remove_file(const fs::path& path);  // a missing file is not an error
void rename_file(const fs::path& from, const fs::path& to);
void create_directories(const fs::path& path);
std::vector<std::string> list_file_names(const fs::path& folder);  // UTF-8 names, regular files only
unsigned long current_process_id();                                // for temporary names

}  // namespace casim::files
