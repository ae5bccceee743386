// The file layer on POSIX (file_layer_win32.cc is its Windows twin).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim::files {
namespace {

[[noreturn]] void fail(const char* operation, const fs::path& path, int error_number,
                       int32_t hresult = certadm_sim::kEFail) {
  throw SimError(hresult, fmt::format("{} {}: {}", operation, path_to_utf8(path), std::strerror(error_number)));
}

int open_flags(OpenMode mode) {
  switch (mode) {
    case OpenMode::kRead:
      return O_RDONLY;
    case OpenMode::kReadWrite:
      return O_RDWR;
    case OpenMode::kCreate:
      return O_RDWR | O_CREAT;
  }
  return O_RDONLY;
}

}  // namespace

File::File(const fs::path& path, OpenMode mode) : path_(path) {
  handle_ = ::open(path.c_str(), open_flags(mode) | O_CLOEXEC, 0644);
  if (handle_ < 0) fail("open", path, errno, errno == ENOENT ? certadm_sim::kFileNotFound : certadm_sim::kEFail);
}

File::File(File&& other) noexcept : handle_(other.handle_), path_(std::move(other.path_)) { other.handle_ = -1; }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    handle_ = other.handle_;
    path_ = std::move(other.path_);
    other.handle_ = -1;
  }
  return *this;
}

File::~File() { close(); }

void File::close() {
  if (handle_ >= 0) ::close(handle_);
  handle_ = -1;
}

size_t File::read_at(uint64_t offset, std::span<uint8_t> bytes) const {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(handle_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw SimError(certadm_sim::kReadFault,
                     fmt::format("read {} at offset {}: {}", path_to_utf8(path_), offset + done, std::strerror(errno)));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
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
    const ssize_t put = ::pwrite(handle_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (put < 0) {
      if (errno == EINTR) continue;
      throw SimError(certadm_sim::kEFail, fmt::format("write {} at offset {}: {}", path_to_utf8(path_), offset + done,
                                                      std::strerror(errno)));
    }
    done += static_cast<size_t>(put);
  }
}

uint64_t File::size() const {
  struct stat info {};
  if (::fstat(handle_, &info) != 0) fail("stat", path_, errno);
  return static_cast<uint64_t>(info.st_size);
}

void File::resize(uint64_t size) {
  if (::ftruncate(handle_, static_cast<off_t>(size)) != 0) fail("resize", path_, errno);
}

void File::sync() {
  if (::fsync(handle_) != 0) fail("fsync", path_, errno);
}

FileLock::FileLock(const fs::path& lock_file, Kind kind) {
  handle_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (handle_ < 0) fail("open lock file", lock_file, errno);
  while (::flock(handle_, kind == Kind::kShared ? LOCK_SH : LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int error_number = errno;
      release();
      fail("lock", lock_file, error_number);
    }
  }
}

FileLock FileLock::try_exclusive(const fs::path& lock_file) {
  FileLock lock;
  lock.handle_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.handle_ < 0) fail("open lock file", lock_file, errno);
  if (::flock(lock.handle_, LOCK_EX | LOCK_NB) != 0) lock.release();
  return lock;
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(other.handle_) { other.handle_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    handle_ = other.handle_;
    other.handle_ = -1;
  }
  return *this;
}

FileLock::~FileLock() { release(); }

void FileLock::release() {
  if (handle_ >= 0) ::close(handle_);  // closing the descriptor drops the flock
  handle_ = -1;
}

void append_text(const fs::path& path, const std::string& text) {
  const int handle = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (handle < 0) fail("open for append", path, errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t put = ::write(handle, text.data() + done, text.size() - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      ::close(handle);
      fail("append to", path, error_number);
    }
    done += static_cast<size_t>(put);
  }
  ::close(handle);
}

void remove_file(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("remove", path, errno);
}

void rename_file(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    const int error_number = errno;
    throw SimError(certadm_sim::kEFail, fmt::format("rename {} to {}: {}", path_to_utf8(from), path_to_utf8(to),
                                                    std::strerror(error_number)));
  }
}

unsigned long current_process_id() { return static_cast<unsigned long>(::getpid()); }

}  // namespace casim::files
