// One file written for an export or a restore: create, append, fsync, close.
//
// Contract: commit() makes the bytes durable and, when `rename_to` is set,
// renames the file there (the caller syncs the folder). A file destroyed
// without commit() is deleted. Every call goes through the current file
// system (file_system.h); errors throw Error(kFailure) naming the path and the
// system's reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "certvault/base/file_system.h"

namespace certvault {

class OutputFile {
 public:
  explicit OutputFile(std::filesystem::path path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::span<const uint8_t> bytes);
  void commit(const std::optional<std::filesystem::path>& rename_to = std::nullopt);

 private:
  void discard() noexcept;

  std::filesystem::path path_;
  std::unique_ptr<os::OpenFile> file_;
  uint64_t size_ = 0;
};

// Writes to the process's standard output, unbuffered and binary.
void write_standard_output(std::span<const uint8_t> bytes);

}  // namespace certvault
