// Conveniences over the file-system seam (file_system.h), and the few OS
// services that are not files.
//
// os::File is an open file of the current file system with a position for
// sequential reads and writes; the free functions forward to the current file
// system. Contract: as file_system.h — every failure throws Error(kFailure)
// naming `operation`, the call, the path (and offset where one applies) and
// the system's reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "certvault/base/file_system.h"

namespace certvault::os {

class File {
 public:
  File() = default;
  File(const std::filesystem::path& path, OpenFor mode, const std::string& operation);
  // As the constructor, but a failure to open returns false with the system's
  // reason alone in `reason` ("No such file or directory").
  static bool try_open(const std::filesystem::path& path, OpenFor mode, const std::string& operation, File& file,
                       std::string& reason);
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File() = default;  // closes without reporting errors; call close() to see them

  bool is_open() const { return file_ != nullptr; }
  const std::filesystem::path& path() const;

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

  // The open file itself (locks, writes at an offset).
  OpenFile& handle();

 private:
  std::unique_ptr<OpenFile> file_;
  uint64_t position_ = 0;
};

// Renames `from` over `to`, replacing it (rename(2); MoveFileExW with
// MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
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
