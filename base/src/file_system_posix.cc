// os_file.h on POSIX systems.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault::os {
namespace {

int descriptor(std::intptr_t handle) { return static_cast<int>(handle); }

int open_flags(OpenFor mode) {
  switch (mode) {
    case OpenFor::kRead:
      return O_RDONLY;
    case OpenFor::kReadNoFollow:
      return O_RDONLY | O_NOFOLLOW;
    case OpenFor::kCreateNew:
      return O_WRONLY | O_CREAT | O_EXCL;
    case OpenFor::kCreateOrTruncate:
      return O_WRONLY | O_CREAT | O_TRUNC;
    case OpenFor::kReadWriteCreate:
      return O_RDWR | O_CREAT;
  }
  return O_RDONLY;
}

}  // namespace

File::File(const std::filesystem::path& path, OpenFor mode, const std::string& operation)
    : path_(path), operation_(operation) {
  int fd;
  do {
    fd = ::open(path.c_str(), open_flags(mode) | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno(fmt::format("{}: open {}", operation, path.string()));
  handle_ = fd;
}

bool File::try_open(const std::filesystem::path& path, OpenFor mode, const std::string& operation, File& file,
                    std::string& reason) {
  int fd;
  do {
    fd = ::open(path.c_str(), open_flags(mode) | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    reason = std::strerror(errno);
    return false;
  }
  File opened;
  opened.handle_ = fd;
  opened.path_ = path;
  opened.operation_ = operation;
  file = std::move(opened);
  return true;
}

size_t File::read(std::span<uint8_t> bytes) {
  for (;;) {
    const ssize_t n = ::read(descriptor(handle_), bytes.data(), bytes.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw_errno(fmt::format("{}: read {}", operation_, path_.string()));
  }
}

size_t File::read_at(uint64_t offset, std::span<uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(descriptor(handle_), bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("{}: pread {} at offset {}", operation_, path_.string(), offset + done));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void File::write_all(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(descriptor(handle_), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("{}: write {}", operation_, path_.string()));
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

uint64_t File::size() {
  struct stat st {};
  if (::fstat(descriptor(handle_), &st) != 0) throw_errno(fmt::format("{}: fstat {}", operation_, path_.string()));
  return static_cast<uint64_t>(st.st_size);
}

void File::truncate(uint64_t size) {
  if (::ftruncate(descriptor(handle_), static_cast<off_t>(size)) != 0) {
    throw_errno(fmt::format("{}: truncate {} to {} bytes", operation_, path_.string(), size));
  }
}

void File::sync() {
  if (::fsync(descriptor(handle_)) != 0) throw_errno(fmt::format("{}: fsync {}", operation_, path_.string()));
}

void File::close() {
  const int fd = descriptor(handle_);
  handle_ = kClosed;
  if (::close(fd) != 0) throw_errno(fmt::format("{}: close {}", operation_, path_.string()));
}

void replace_file(const std::filesystem::path& from, const std::filesystem::path& to, const std::string& operation) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw_errno(fmt::format("{}: rename {} to {}", operation, from.string(), to.string()));
  }
}

void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) {
  if (::unlink(path.c_str()) != 0 && !(missing_ok && errno == ENOENT)) {
    throw_errno(fmt::format("{}: unlink {}", operation, path.string()));
  }
}

void create_folder(const std::filesystem::path& path, const std::string& operation) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno(fmt::format("{}: mkdir {}", operation, path.string()));
  }
}

void sync_folder(const std::filesystem::path& folder, const std::string& operation) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(fmt::format("{}: open folder {} to fsync it", operation, folder.string()));
  const int result = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (result != 0) throw_errno(fmt::format("{}: fsync folder {}", operation, folder.string()));
}

bool regular_file_size(const std::filesystem::path& path, uint64_t& size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  size = static_cast<uint64_t>(st.st_size);
  return true;
}

void random_bytes(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::getrandom(out.data() + done, out.size() - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno("getrandom");
    }
    done += static_cast<size_t>(got);
  }
}

std::filesystem::path system_path(const std::filesystem::path& path) { return path; }

}  // namespace certvault::os
