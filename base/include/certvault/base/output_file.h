// One file written for an export or a restore: create, append, fsync, close.
//
// Contract: commit() makes the bytes durable and, when `rename_to` is set,
// renames the file there (the caller fsyncs the folder). A file destroyed
// without commit() is deleted. Errors throw Error(kFailure) naming the path
// and the system's reason. Implemented in output_file_posix.cc, the only file
// of the export/restore code with raw OS file calls; output_file_win32.cc is
// its Windows twin.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

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
  std::filesystem::path path_;
  std::intptr_t fd_ = -1;  // a file descriptor, or a HANDLE on Windows
};

// Writes to the process's standard output, unbuffered and binary.
void write_standard_output(std::span<const uint8_t> bytes);

}  // namespace certvault
