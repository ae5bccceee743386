#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "certvault/base/error.h"
#include "certvault/base/output_file.h"

namespace certvault {
namespace {

void write_all(int fd, std::span<const uint8_t> bytes, const std::string& what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write " + what);
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

}  // namespace

OutputFile::OutputFile(std::filesystem::path path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot create " + path_.string());
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void OutputFile::write(std::span<const uint8_t> bytes) { write_all(fd_, bytes, path_.string()); }

void OutputFile::commit(const std::optional<std::filesystem::path>& rename_to) {
  if (::fsync(fd_) != 0) throw_errno("fsync " + path_.string());
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    ::unlink(path_.c_str());
    throw_errno("close " + path_.string());
  }
  if (rename_to && ::rename(path_.c_str(), rename_to->c_str()) != 0) {
    const int saved = errno;
    ::unlink(path_.c_str());
    errno = saved;
    throw_errno("rename " + path_.string() + " to " + rename_to->string());
  }
}

void write_standard_output(std::span<const uint8_t> bytes) { write_all(STDOUT_FILENO, bytes, "standard output"); }

}  // namespace certvault
