// output_file.h, on the current file system.
#include "certvault/base/output_file.h"

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault {

OutputFile::OutputFile(std::filesystem::path path)
    : path_(std::move(path)),
      file_(os::file_system().open(path_, os::OpenFor::kCreateOrTruncate, "write " + os::display(path_))) {}

OutputFile::~OutputFile() {
  if (file_) discard();
}

void OutputFile::discard() noexcept {
  try {
    file_.reset();  // closes
    os::file_system().remove_file(path_, "discard " + os::display(path_), true);
  } catch (const Error&) {
    // Nobody to report to; the partial file is the caller's staging leftover.
  }
}

void OutputFile::write(std::span<const uint8_t> bytes) {
  if (!file_) throw Error(ErrorKind::kFailure, "write " + os::display(path_) + ": the file is already committed");
  file_->write_at(size_, bytes);
  size_ += bytes.size();
}

void OutputFile::commit(const std::optional<std::filesystem::path>& rename_to) {
  if (!file_) throw Error(ErrorKind::kFailure, "commit " + os::display(path_) + ": the file is already committed");
  try {
    file_->sync();
    // Closed before the rename: Windows cannot rename a file that is open for writing.
    file_->close();
    file_.reset();
    if (rename_to) os::file_system().rename(path_, *rename_to, "commit " + os::display(*rename_to));
  } catch (...) {
    discard();
    throw;
  }
}

}  // namespace certvault
